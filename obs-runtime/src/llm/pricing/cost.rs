//! The cost of one call, by kind of token.

/// The kinds of token a call is priced by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Fresh (non-cached) input.
    Input,
    /// Input read from the cache.
    CacheRead,
    /// Input written to the cache.
    CacheCreation,
    /// Output other than reasoning.
    Output,
    /// Reasoning output.
    Reasoning,
}

/// A set of [`TokenKind`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TokenKinds(u8);

/// The cost of one call in US dollars, by kind of token.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cost {
    /// Fresh input.
    pub input: f64,
    /// Cache reads.
    pub cache_read: f64,
    /// Cache writes.
    pub cache_creation: f64,
    /// Output other than reasoning.
    pub output: f64,
    /// Reasoning.
    pub reasoning: f64,
    /// Kinds left unpriced (count missing, or no price for a non-zero count): they add 0 above.
    pub unpriced: TokenKinds,
    /// The kinds of [`unpriced`](Cost::unpriced) the call used (a non-zero count) that the
    /// model's entry has no price for: a gap in the table rather than in the usage reported.
    pub no_price: TokenKinds,
}

impl TokenKind {
    /// Every kind, in a fixed order.
    pub const ALL: [TokenKind; 5] = [
        TokenKind::Input,
        TokenKind::CacheRead,
        TokenKind::CacheCreation,
        TokenKind::Output,
        TokenKind::Reasoning,
    ];

    /// The kind as a label value: `input`, `cache_read`, `cache_creation`, `output`, `reasoning`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Input => "input",
            TokenKind::CacheRead => "cache_read",
            TokenKind::CacheCreation => "cache_creation",
            TokenKind::Output => "output",
            TokenKind::Reasoning => "reasoning",
        }
    }

    /// The kind's position in [`TokenKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl TokenKinds {
    /// Adds a kind.
    pub fn insert(&mut self, kind: TokenKind) {
        self.0 |= kind.bit();
    }

    /// Whether the set holds `kind`.
    pub fn contains(self, kind: TokenKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`TokenKind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = TokenKind> {
        TokenKind::ALL
            .into_iter()
            .filter(move |kind| self.contains(*kind))
    }
}

impl Cost {
    /// The sum over every kind.
    pub fn total(&self) -> f64 {
        self.input + self.cache_read + self.cache_creation + self.output + self.reasoning
    }

    /// Whether some kind went unpriced, so [`total`](Cost::total) is a lower bound.
    pub fn is_partial(&self) -> bool {
        !self.unpriced.is_empty()
    }

    /// The cost of each kind, in [`TokenKind::ALL`] order.
    pub fn by_kind(&self) -> [(TokenKind, f64); 5] {
        [
            (TokenKind::Input, self.input),
            (TokenKind::CacheRead, self.cache_read),
            (TokenKind::CacheCreation, self.cache_creation),
            (TokenKind::Output, self.output),
            (TokenKind::Reasoning, self.reasoning),
        ]
    }
}
