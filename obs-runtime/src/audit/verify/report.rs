//! What a verification found: how much of the log was checked, and the first bad record.

use serde_json::{Map, Value};

use super::problem::Problem;

/// A `repair` record in the log: where the writer cut a torn tail on reopening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repair {
    /// The segment holding the repair record.
    pub file: String,
    /// Its line.
    pub line: u64,
    /// Its seq.
    pub seq: u64,
    /// How many bytes were cut, as the record says.
    pub truncated_bytes: Option<u64>,
}

/// What [`verify_dir`](super::verify_dir) found. [`problem`](Report::problem) is `None` when
/// the log verified; the counts cover the records before the problem otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Segment files read.
    pub segments: usize,
    /// Records verified (linked, hashes matching).
    pub records: u64,
    /// The first record's seq.
    pub first_seq: Option<u64>,
    /// The last verified record's seq.
    pub last_seq: Option<u64>,
    /// The last verified record's hash: the chain head.
    pub last_hash: Option<String>,
    /// Whether MACs were checked (a key was given).
    pub macs_checked: bool,
    /// MACs that matched.
    pub macs_verified: u64,
    /// The checkpoints file read (a public key was given).
    pub checkpoints_file: Option<String>,
    /// Checkpoints whose signature verified.
    pub checkpoints_signed: u64,
    /// Checkpoints whose hash the log's record at their seq has.
    pub checkpoints_matched: u64,
    /// The highest seq a verified checkpoint signs: records after it could be cut off
    /// undetected.
    pub checkpointed_through: Option<u64>,
    /// Repairs of torn tails the writer recorded.
    pub repairs: Vec<Repair>,
    /// The highest seq retention records say was removed.
    pub removed_through: Option<u64>,
    /// The first bad record, if any.
    pub problem: Option<Problem>,
}

impl Report {
    /// Whether the log verified.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }

    /// The report as a JSON object (the verifier's `--json` output): `ok`, the counts, and
    /// `problem` as `{kind, file, line, seq, detail}` (absent when ok; `line` and `seq` absent
    /// when unknown).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("ok".into(), self.is_ok().into());
        out.insert("segments".into(), self.segments.into());
        out.insert("records".into(), self.records.into());
        put(&mut out, "first_seq", self.first_seq);
        put(&mut out, "last_seq", self.last_seq);
        put(&mut out, "last_hash", self.last_hash.clone());
        out.insert("macs_checked".into(), self.macs_checked.into());
        out.insert("macs_verified".into(), self.macs_verified.into());
        if let Some(file) = &self.checkpoints_file {
            let mut cps = Map::new();
            cps.insert("file".into(), file.clone().into());
            cps.insert("signed".into(), self.checkpoints_signed.into());
            cps.insert("matched".into(), self.checkpoints_matched.into());
            put(&mut cps, "through_seq", self.checkpointed_through);
            out.insert("checkpoints".into(), Value::Object(cps));
        }
        let repairs: Vec<Value> = self
            .repairs
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("file".into(), r.file.clone().into());
                m.insert("line".into(), r.line.into());
                m.insert("seq".into(), r.seq.into());
                put(&mut m, "truncated_bytes", r.truncated_bytes);
                Value::Object(m)
            })
            .collect();
        out.insert("repairs".into(), repairs.into());
        put(&mut out, "removed_through", self.removed_through);
        if let Some(p) = &self.problem {
            let mut m = Map::new();
            m.insert("kind".into(), p.kind.as_str().into());
            m.insert("file".into(), p.file.clone().into());
            put(&mut m, "line", p.line);
            put(&mut m, "seq", p.seq);
            m.insert("detail".into(), p.detail.clone().into());
            out.insert("problem".into(), Value::Object(m));
        }
        Value::Object(out)
    }
}

/// Inserts `value` under `key` when present.
fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        map.insert(key.into(), v.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::verify::ProblemKind;
    use serde_json::json;

    #[test]
    fn json_of_a_failed_report_names_the_problem() {
        let report = Report {
            segments: 2,
            records: 9,
            first_seq: Some(1),
            last_seq: Some(9),
            problem: Some(Problem {
                kind: ProblemKind::Deleted,
                file: "audit-00000000000000000001.jsonl".into(),
                line: Some(10),
                seq: Some(10),
                detail: "seq 10 is missing".into(),
            }),
            ..Report::default()
        };
        let v = report.to_json();
        assert_eq!(v["ok"], json!(false));
        assert_eq!(v["records"], json!(9));
        assert_eq!(
            v["problem"],
            json!({"kind": "deleted", "file": "audit-00000000000000000001.jsonl", "line": 10, "seq": 10, "detail": "seq 10 is missing"})
        );
        assert!(v.get("checkpoints").is_none());
        assert!(Report::default().to_json()["ok"].as_bool().unwrap());
    }
}
