//! `#[observed]` on generic functions (type, lifetime and const parameters, `where` clauses), on
//! methods of a generic impl, and with `impl Trait` in argument and return position, including
//! `-> Result<impl Trait, E>`.

#![deny(warnings)]

use std::fmt::{Debug, Display};
use std::num::ParseIntError;

use obs_runtime::observed;
use obs_ui_tests::outcomes;

#[observed]
fn join<T, U>(a: T, b: &U) -> String
where
    T: Display,
    U: Debug + ?Sized,
{
    format!("{a}{b:?}")
}

#[observed]
fn longest<'a, 'b: 'a>(a: &'a str, b: &'b str) -> &'a str {
    if a.len() >= b.len() { a } else { b }
}

#[observed]
fn first_n<const N: usize, T: Copy + Default>(items: &[T]) -> [T; N] {
    let mut out = [T::default(); N];
    for (slot, item) in out.iter_mut().zip(items) {
        *slot = *item;
    }
    out
}

#[observed]
fn sum_all(items: impl IntoIterator<Item = u32>) -> u32 {
    items.into_iter().sum()
}

#[observed]
fn evens<'a>(items: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
    items.iter().copied().filter(|i| i % 2 == 0)
}

#[observed]
fn parse_all(items: &[&str]) -> Result<impl Iterator<Item = u32> + use<>, ParseIntError> {
    let parsed: Vec<u32> = items.iter().map(|s| s.parse()).collect::<Result<_, _>>()?;
    Ok(parsed.into_iter())
}

#[observed]
fn adder(n: i64) -> Box<dyn Fn(i64) -> i64> {
    Box::new(move |x| x + n)
}

#[observed]
fn describe(value: &(impl Debug + ?Sized)) -> (String, impl Display) {
    let text = format!("{value:?}");
    let len = text.len();
    (text, len)
}

/// A generic container with observed methods.
#[derive(Debug)]
pub struct Stack<T> {
    items: Vec<T>,
}

impl<T: Clone + PartialOrd> Stack<T> {
    #[observed]
    fn push_all<I>(&mut self, items: I) -> usize
    where
        I: IntoIterator<Item = T>,
    {
        self.items.extend(items);
        self.items.len()
    }

    #[observed]
    fn max(&self) -> Option<&T> {
        self.items.iter().fold(None, |best, x| match best {
            Some(b) if b >= x => Some(b),
            _ => Some(x),
        })
    }

    #[observed]
    fn above<'s>(&'s self, floor: &'s T) -> impl Iterator<Item = T> + 's {
        self.items.iter().filter(move |x| *x > floor).cloned()
    }
}

fn main() {
    assert_eq!(join(1, "a"), "1\"a\"");
    assert_eq!(join('x', &[1, 2][..]), "x[1, 2]");
    assert_eq!(longest("ab", "abc"), "abc");
    assert_eq!(first_n::<2, u8>(&[7, 8, 9]), [7, 8]);
    assert_eq!(sum_all(vec![1, 2, 3]), 6);
    assert_eq!(sum_all([4u32; 2]), 8);
    assert_eq!(evens(&[1, 2, 3, 4]).collect::<Vec<_>>(), [2, 4]);
    assert_eq!(parse_all(&["1", "2"]).unwrap().sum::<u32>(), 3);
    assert!(parse_all(&["1", "x"]).is_err());
    assert_eq!(adder(2)(3), 5);
    let (text, len) = describe("hi");
    assert_eq!((text.as_str(), len.to_string().as_str()), ("\"hi\"", "4"));

    let mut stack = Stack { items: vec![3] };
    assert_eq!(stack.push_all([1, 5, 2]), 4);
    assert_eq!(stack.max(), Some(&5));
    assert_eq!(stack.above(&2).collect::<Vec<_>>(), [3, 5]);

    for (function, expected) in [
        ("join", [2, 0, 0, 0]),
        ("longest", [1, 0, 0, 0]),
        ("first_n", [1, 0, 0, 0]),
        ("sum_all", [2, 0, 0, 0]),
        ("evens", [1, 0, 0, 0]),
        ("parse_all", [1, 1, 0, 0]),
        ("adder", [1, 0, 0, 0]),
        ("describe", [1, 0, 0, 0]),
        ("push_all", [1, 0, 0, 0]),
        ("max", [1, 0, 0, 0]),
        ("above", [1, 0, 0, 0]),
    ] {
        assert_eq!(outcomes!(function), expected, "{function}");
    }
}
