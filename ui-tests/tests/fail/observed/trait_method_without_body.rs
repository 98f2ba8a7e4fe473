// A required trait method has no body to observe: annotate its implementations.
use obs_runtime::observed;

trait Greeter {
    #[observed]
    fn greet(&self) -> String;
}

fn main() {}
