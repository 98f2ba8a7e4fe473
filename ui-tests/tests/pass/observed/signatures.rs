//! `#[observed]` on signatures and bodies a wrapper could trip over: destructured and `mut`
//! parameters, `unsafe fn`, `extern "C" fn`, `#[cfg]` on parameters, other attributes kept,
//! early `return` and `?` (on `Result` and `Option`), closures with their own `return`, and
//! recursion.

#![deny(warnings)]
// `#[observed]` must work on an `unsafe fn`, which takes `unsafe` to declare and to call.
#![allow(unsafe_code)]

use obs_runtime::observed;
use obs_ui_tests::outcomes;

/// A struct to destructure.
#[derive(Debug)]
pub struct Point {
    x: i32,
    y: i32,
}

#[observed]
fn destructured((a, b): (u32, u32), Point { x, y: z }: Point, [first, ..]: [u8; 3]) -> i64 {
    i64::from(a + b) + i64::from(x * z) + i64::from(first)
}

#[observed]
fn by_ref_pattern(&(a, ref b): &(u8, String), _: ()) -> usize {
    usize::from(a) + b.len()
}

#[observed]
fn mutable(mut n: u32, mut acc: Vec<u32>) -> Vec<u32> {
    while n > 0 {
        acc.push(n);
        n -= 1;
    }
    acc
}

#[observed]
/// # Safety
/// `p` must be valid for reads.
unsafe fn read_raw(p: *const u32) -> u32 {
    // SAFETY: the caller guarantees `p` is valid.
    unsafe { *p }
}

#[observed]
extern "C" fn c_abi(x: i32) -> i32 {
    x.wrapping_mul(3)
}

#[observed]
fn with_cfg(#[cfg(any())] a: u8, #[cfg(not(any()))] a: u64, #[allow(unused)] unused: ()) -> u64 {
    a
}

/// Attributes other than `#[observed]` stay on the function.
#[observed]
#[inline]
#[must_use = "the sum is the point"]
pub(crate) fn kept_attributes(a: u8, b: u8) -> u16 {
    u16::from(a) + u16::from(b)
}

#[observed]
fn early(x: i32) -> Result<i32, String> {
    if x < 0 {
        return Err("negative".into());
    }
    let parsed: i32 = x.to_string().parse().map_err(|_| "unparsable".to_owned())?;
    Ok(parsed * 2)
}

#[observed]
fn first_char_upper(text: &str) -> Option<char> {
    let first = text.chars().next()?;
    if !first.is_alphabetic() {
        return None;
    }
    first.to_uppercase().next()
}

#[observed]
fn unit_with_return(values: &mut Vec<u8>, value: u8) {
    if value == 0 {
        return;
    }
    values.push(value);
}

#[observed]
fn closures_return_for_themselves(items: &[i32]) -> Vec<i32> {
    items
        .iter()
        .map(|&i| {
            if i < 0 {
                return 0;
            }
            i * 10
        })
        .collect()
}

#[observed]
fn factorial(n: u64) -> u64 {
    if n <= 1 { 1 } else { n * factorial(n - 1) }
}

#[observed]
fn depth(n: u32) -> Result<u32, String> {
    if n == 0 {
        return Err("bottom".to_owned());
    }
    // The inner call's error is handled here, so only the innermost call fails.
    match depth(n - 1) {
        Ok(d) => Ok(d + 1),
        Err(_) => Ok(1),
    }
}

fn main() {
    assert_eq!(
        destructured((1, 2), Point { x: 3, y: 4 }, [5, 6, 7]),
        1 + 2 + 3 * 4 + 5
    );
    assert_eq!(by_ref_pattern(&(2, "abc".to_owned()), ()), 5);
    assert_eq!(mutable(3, vec![9]), [9, 3, 2, 1]);
    let value = 9u32;
    // SAFETY: `value` is a live local.
    assert_eq!(unsafe { read_raw(&value) }, 9);
    assert_eq!(c_abi(5), 15);
    assert_eq!(with_cfg(4, ()), 4);
    assert_eq!(kept_attributes(1, 2), 3);
    assert_eq!(early(-1), Err("negative".to_owned()));
    assert_eq!(early(4), Ok(8));
    assert_eq!(first_char_upper("abc"), Some('A'));
    assert_eq!(first_char_upper(""), None);
    assert_eq!(first_char_upper("1"), None);
    let mut values = Vec::new();
    unit_with_return(&mut values, 0);
    unit_with_return(&mut values, 7);
    assert_eq!(values, [7]);
    assert_eq!(closures_return_for_themselves(&[-1, 2]), [0, 20]);
    assert_eq!(factorial(5), 120);
    assert_eq!(depth(3), Ok(3));

    for (function, expected) in [
        ("destructured", [1, 0, 0, 0]),
        ("by_ref_pattern", [1, 0, 0, 0]),
        ("mutable", [1, 0, 0, 0]),
        ("read_raw", [1, 0, 0, 0]),
        ("c_abi", [1, 0, 0, 0]),
        ("with_cfg", [1, 0, 0, 0]),
        ("kept_attributes", [1, 0, 0, 0]),
        ("early", [1, 1, 0, 0]),
        // `Option` is not `Result`: `None` is not an error.
        ("first_char_upper", [3, 0, 0, 0]),
        ("unit_with_return", [2, 0, 0, 0]),
        ("closures_return_for_themselves", [1, 0, 0, 0]),
        ("factorial", [5, 0, 0, 0]),
        ("depth", [3, 1, 0, 0]),
    ] {
        assert_eq!(outcomes!(function), expected, "{function}");
    }
}
