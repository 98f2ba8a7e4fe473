//! `#[observed]` on methods with every kind of receiver (`&self`, `&mut self`, `self`,
//! `self: Arc<Self>`, `self: Box<Self>`), in an inherent impl and in a trait impl.

#![deny(warnings)]

use std::sync::Arc;

use obs_runtime::observed;
use obs_ui_tests::outcomes;

/// A service with state to borrow, mutate and consume.
#[derive(Debug, Clone, Default)]
pub struct Service {
    items: Vec<String>,
}

impl Service {
    #[observed]
    fn by_ref(&self) -> &[String] {
        &self.items
    }

    #[observed]
    fn by_mut(&mut self, item: &str) -> usize {
        self.items.push(item.to_owned());
        self.items.len()
    }

    #[observed]
    fn by_value(self) -> Vec<String> {
        self.items
    }

    #[observed]
    fn by_arc(self: Arc<Self>) -> usize {
        self.items.len()
    }

    #[observed]
    fn by_box(self: Box<Self>) -> Option<String> {
        self.items.into_iter().next()
    }

    #[observed]
    fn constructor(items: &[&str]) -> Self {
        Self {
            items: items.iter().map(|i| (*i).to_owned()).collect(),
        }
    }
}

/// A trait whose implementations are observed.
pub trait Greeter {
    /// Greets `name`.
    fn greet(&self, name: &str) -> String;
    /// Renames the greeter, failing on an empty name.
    fn rename(&mut self, name: &str) -> Result<(), String>;
    /// A provided method, observed in the trait itself.
    #[observed]
    fn greet_twice(&self, name: &str) -> String {
        format!("{0} {0}", self.greet(name))
    }
}

impl Greeter for Service {
    #[observed]
    fn greet(&self, name: &str) -> String {
        format!("hello {name} from {}", self.items.len())
    }

    #[observed]
    fn rename(&mut self, name: &str) -> Result<(), String> {
        if name.is_empty() {
            return Err("empty name".to_owned());
        }
        self.items.insert(0, name.to_owned());
        Ok(())
    }
}

fn main() {
    let mut service = Service::constructor(&["a"]);
    assert_eq!(service.by_mut("b"), 2);
    assert_eq!(service.by_ref(), ["a", "b"]);
    assert_eq!(service.greet("you"), "hello you from 2");
    assert_eq!(service.greet_twice("x"), "hello x from 2 hello x from 2");
    assert_eq!(service.rename(""), Err("empty name".to_owned()));
    assert_eq!(service.rename("first"), Ok(()));
    assert_eq!(Arc::new(service.clone()).by_arc(), 3);
    assert_eq!(Box::new(service.clone()).by_box().as_deref(), Some("first"));
    assert_eq!(service.by_value(), ["first", "a", "b"]);

    for (function, expected) in [
        ("constructor", [1, 0, 0, 0]),
        ("by_mut", [1, 0, 0, 0]),
        ("by_ref", [1, 0, 0, 0]),
        ("greet", [2, 0, 0, 0]),
        ("greet_twice", [1, 0, 0, 0]),
        ("rename", [1, 1, 0, 0]),
        ("by_arc", [1, 0, 0, 0]),
        ("by_box", [1, 0, 0, 0]),
        ("by_value", [1, 0, 0, 0]),
    ] {
        assert_eq!(outcomes!(function), expected, "{function}");
    }
}
