use futures_util::Stream;
use obs_runtime::audited;

#[audited(action = "chat.stream", stream, mode = "buffered")]
fn chunks() -> impl Stream<Item = u32> {
    futures_util::stream::iter([1, 2, 3])
}

fn main() {}
