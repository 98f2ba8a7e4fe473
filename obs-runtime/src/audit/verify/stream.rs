//! The log as one stream of judged lines across its segments, in order.

use super::error::VerifyError;
use super::parsed::{self, Parsed, Rec};
use super::segments::{MAX_LINE, Next, Reader, Segment};

/// Where a line is: its segment (index into the segment list) and line number (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Loc {
    /// Index of the segment in the log's segment list.
    pub segment: usize,
    /// Line number in it, from 1.
    pub line: u64,
}

/// What the stream gives.
#[derive(Debug)]
pub(super) enum Item {
    /// A segment begins (given for empty segments too).
    SegmentStart,
    /// A complete (`\n`-terminated) line, judged.
    Line(Loc, Parsed),
    /// A last line without `\n`.
    Torn(Loc),
    /// A gzip segment whose stream breaks off or holds bad data after `line - 1` lines.
    BadGzip {
        /// Where the next line would have been.
        loc: Loc,
        /// Whether the stream ended early (rather than holding bad data).
        ended_early: bool,
        /// The decoder's message.
        message: String,
    },
}

/// Every line of every segment, in order.
pub(super) struct Stream<'a> {
    segments: &'a [Segment],
    next_segment: usize,
    reader: Option<(usize, Reader)>,
}

impl<'a> Stream<'a> {
    /// A stream over `segments` (already in order).
    pub fn new(segments: &'a [Segment]) -> Self {
        Stream {
            segments,
            next_segment: 0,
            reader: None,
        }
    }

    /// The next item, or `None` at the end of the last segment.
    pub fn next_item(&mut self) -> Result<Option<Item>, VerifyError> {
        let Some((index, reader)) = &mut self.reader else {
            let Some(segment) = self.segments.get(self.next_segment) else {
                return Ok(None);
            };
            let index = self.next_segment;
            self.reader = Some((index, Reader::open(segment)?));
            self.next_segment += 1;
            return Ok(Some(Item::SegmentStart));
        };
        let segment = *index;
        match reader.next_line()? {
            Next::End => {
                self.reader = None;
                self.next_item()
            }
            Next::BadGzip {
                lines,
                ended_early,
                message,
            } => Ok(Some(Item::BadGzip {
                loc: Loc {
                    segment,
                    line: lines + 1,
                },
                ended_early,
                message,
            })),
            Next::Line(line) => {
                let loc = Loc {
                    segment,
                    line: line.number,
                };
                Ok(Some(if !line.terminated {
                    Item::Torn(loc)
                } else if line.too_long {
                    Item::Line(
                        loc,
                        Parsed::NotARecord(format!("a line longer than {MAX_LINE} bytes")),
                    )
                } else {
                    Item::Line(loc, parsed::parse(&line.bytes))
                }))
            }
        }
    }

    /// The next line if it is a record whose content matches its hash; `None` if the next line is
    /// anything else or there is none.
    pub fn next_record(&mut self) -> Result<Option<(Loc, Rec)>, VerifyError> {
        loop {
            match self.next_item()? {
                Some(Item::SegmentStart) => continue,
                Some(Item::Line(loc, Parsed::Record(rec))) => return Ok(Some((loc, rec))),
                _ => return Ok(None),
            }
        }
    }

    /// Whether the next line is a record with sequence number `seq` linked to `prev`: one that
    /// takes up the chain where a line before it should have.
    pub fn next_links(&mut self, seq: u64, prev: &str) -> Result<bool, VerifyError> {
        Ok(self
            .next_record()?
            .is_some_and(|(_, next)| next.seq == seq && next.prev == prev))
    }

    /// The first later record (content matching its hash) with sequence number `seq`.
    pub fn find_seq(&mut self, seq: u64) -> Result<Option<Loc>, VerifyError> {
        while let Some(item) = self.next_item()? {
            if let Item::Line(loc, Parsed::Record(rec)) = item
                && rec.seq == seq
            {
                return Ok(Some(loc));
            }
        }
        Ok(None)
    }
}
