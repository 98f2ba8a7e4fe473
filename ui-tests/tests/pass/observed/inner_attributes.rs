//! A body whose first lines are inner attributes (`#![allow(...)]`): they stay the first thing in
//! the wrapped body, where they apply to the whole function, for every shape.

#![deny(warnings)]

use std::future::Future;

use obs_runtime::observed;

#[observed]
fn sync_body(input: u32) -> u32 {
    #![allow(unused_variables)]
    #![allow(clippy::let_and_return)]
    let unused = input;
    7
}

#[observed(err)]
async fn async_body(input: u32) -> Result<u32, std::io::Error> {
    #![allow(unused_variables)]
    let unused = input;
    Ok(8)
}

#[observed]
fn future_body(input: u32) -> impl Future<Output = u32> {
    #![allow(unused_variables)]
    let unused = input;
    async { 9 }
}

fn main() {
    assert_eq!(sync_body(1), 7);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(runtime.block_on(async_body(1)).unwrap(), 8);
    assert_eq!(runtime.block_on(future_body(1)), 9);
    assert_eq!(obs_ui_tests::outcomes!("sync_body"), [1, 0, 0, 0]);
    assert_eq!(obs_ui_tests::outcomes!("async_body"), [1, 0, 0, 0]);
}
