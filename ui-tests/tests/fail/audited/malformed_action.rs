use obs_runtime::audited;

#[audited(action = "UpdateConfig", mode = "buffered")]
fn camel() {}

#[audited(action = "update", mode = "buffered")]
fn one_word() {}

#[audited(action = "config-key.rotate", mode = "buffered")]
fn dashed() {}

const ACTION: &str = "config.update";

#[audited(action = ACTION, mode = "buffered")]
fn not_literal() {}

fn main() {}
