// An item of an `extern` block has no body to observe.
use obs_runtime::observed;

unsafe extern "C" {
    #[observed]
    fn abs(x: i32) -> i32;
}

fn main() {}
