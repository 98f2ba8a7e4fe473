//! smoke
use obs_runtime::observed;
use obs_runtime::observed::CallSite;

type MyResult<T> = std::io::Result<T>;

#[observed]
fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[observed(record(path))]
fn read(path: &str) -> MyResult<String> {
    if path.is_empty() {
        return Err(std::io::Error::other("empty"));
    }
    let n: u32 = path.parse().map_err(std::io::Error::other)?;
    Ok(n.to_string())
}

#[observed(err, ret)]
async fn fetch(x: u32) -> Result<u32, String> {
    tokio::task::yield_now().await;
    if x == 0 { Err("zero".into()) } else { Ok(x) }
}

struct S {
    v: Vec<u32>,
}
impl S {
    #[observed]
    fn get(&self) -> &[u32] {
        &self.v
    }
    #[observed]
    fn push(&mut self, x: u32) {
        self.v.push(x)
    }
    #[observed]
    fn iter(&self) -> impl Iterator<Item = &u32> + '_ {
        self.v.iter()
    }
    #[observed]
    fn fut(&self) -> impl std::future::Future<Output = Result<impl std::fmt::Debug, String>> + '_ {
        async move { Ok::<_, String>(self.v.len()) }
    }
}

#[test]
fn works() {
    assert_eq!(add(1, 2), 3);
    assert!(read("").is_err());
    assert!(read("x").is_err());
    assert_eq!(read("5").unwrap(), "5");
    let mut s = S { v: vec![] };
    s.push(1);
    assert_eq!(s.get(), &[1]);
    assert_eq!(s.iter().count(), 1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        assert_eq!(fetch(1).await, Ok(1));
        assert!(fetch(0).await.is_err());
        assert!(s.fut().await.is_ok());
    });
    for site in CallSite::all() {
        println!(
            "{} {} {:?}",
            site.module,
            site.function,
            site.snapshot().outcomes
        );
    }
    println!(
        "{}",
        obs_runtime::Registry::global().encode(obs_runtime::Format::Text)
    );
}
