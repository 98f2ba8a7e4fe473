//! Exact costs computed by hand, and every kind of bad table.

use super::*;
use crate::llm::usage::{AnthropicJson, HasUsage, OpenAiJson};
use serde_json::json;

const TABLE: &str = r#"
valid_from = 2026-11-01

[models.anthropic.claude-x]
input = 2.0
output = 8.0
cache_read = 0.5
cache_write = 2.5

[models.openai.o-x]
input = 1.0
output = 4.0
cache_read = 0.25

[models.openai.o-priced-reasoning]
input = 1.0
output = 4.0
cache_read = 0.25
reasoning = 2.0

[models.google."long-1.5"]
input = 1.0
output = 2.0

[[models.google."long-1.5".tiers]]
above_input_tokens = 200000
input = 2.0
output = 4.0

[[models.google."long-1.5".tiers]]
above_input_tokens = 1000000
input = 4.0
output = 8.0
"#;

fn table() -> Pricing {
    Pricing::from_toml_str(TABLE).unwrap()
}

fn tokens(input: Option<u64>, output: Option<u64>) -> Usage {
    Usage {
        input,
        output,
        ..Usage::default()
    }
}

#[test]
fn cached_input_is_priced_once_at_the_cache_prices() {
    // Anthropic: 250k fresh + 500k cache reads + 100k cache writes; `input` is their sum.
    let response = json!({"usage": {"input_tokens": 250_000, "cache_read_input_tokens": 500_000,
        "cache_creation_input_tokens": 100_000, "output_tokens": 125_000}});
    let usage = AnthropicJson(&response).usage().unwrap();
    let cost = table().cost("anthropic", "claude-x", &usage).unwrap();
    assert_eq!(cost.input, 0.5); // 250_000 * 2.0 / 1e6
    assert_eq!(cost.cache_read, 0.25); // 500_000 * 0.5 / 1e6
    assert_eq!(cost.cache_creation, 0.25); // 100_000 * 2.5 / 1e6
    assert_eq!(cost.output, 1.0); // 125_000 * 8.0 / 1e6
    assert_eq!(cost.reasoning, 0.0);
    assert_eq!(cost.total(), 2.0);
    assert!(!cost.is_partial());
}

#[test]
fn reasoning_is_priced_as_output_unless_it_has_its_own_price() {
    // OpenAI: prompt_tokens includes the 500k cached; completion_tokens the 125k reasoning.
    let response = json!({"usage": {"prompt_tokens": 1_000_000, "completion_tokens": 250_000,
        "prompt_tokens_details": {"cached_tokens": 500_000},
        "completion_tokens_details": {"reasoning_tokens": 125_000}}});
    let usage = OpenAiJson(&response).usage().unwrap();

    let cost = table().cost("openai", "o-x", &usage).unwrap();
    assert_eq!(cost.input, 0.5); // 500_000 fresh * 1.0 / 1e6
    assert_eq!(cost.cache_read, 0.125); // 500_000 * 0.25 / 1e6
    assert_eq!(cost.cache_creation, 0.0);
    assert_eq!(cost.output, 0.5); // 125_000 visible * 4.0 / 1e6
    assert_eq!(cost.reasoning, 0.5); // 125_000 * 4.0 (output price) / 1e6
    assert_eq!(cost.total(), 1.625);
    assert!(!cost.is_partial());

    let cost = table()
        .cost("openai", "o-priced-reasoning", &usage)
        .unwrap();
    assert_eq!(cost.reasoning, 0.25); // 125_000 * 2.0 / 1e6
    assert_eq!(cost.total(), 1.375);
}

#[test]
fn a_tier_applies_above_its_threshold_not_at_it() {
    let pricing = table();
    let at = pricing
        .cost("google", "long-1.5", &tokens(Some(200_000), Some(100_000)))
        .unwrap();
    assert_eq!((at.input, at.output), (0.2, 0.2)); // base: 1.0 and 2.0 per million
    assert_eq!(at.total(), 0.4);

    let over = pricing
        .cost("google", "long-1.5", &tokens(Some(200_001), Some(100_000)))
        .unwrap();
    assert_eq!(over.input, 0.400002); // 200_001 * 2.0 / 1e6
    assert_eq!(over.output, 0.4); // 100_000 * 4.0 / 1e6
    assert_eq!(over.total(), 0.400002 + 0.4);

    let highest = pricing
        .cost(
            "google",
            "long-1.5",
            &tokens(Some(2_000_000), Some(250_000)),
        )
        .unwrap();
    assert_eq!((highest.input, highest.output), (8.0, 2.0)); // the second tier: 4.0 and 8.0
}

#[test]
fn a_model_without_a_price_has_no_cost() {
    let usage = tokens(Some(10), Some(10));
    assert_eq!(table().cost("openai", "unknown-model", &usage), None);
    assert_eq!(table().cost("nobody", "o-x", &usage), None);
    assert!(table().get("openai", "o-x").is_some());
}

#[test]
fn a_dated_model_id_is_priced_by_the_entry_without_its_date() {
    let pricing = table();
    let o_x = pricing.get("openai", "o-x");
    assert!(o_x.is_some());
    assert_eq!(pricing.get("openai", "o-x-2024-08-06"), o_x);
    assert_eq!(pricing.get("openai", "o-x-20240229"), o_x);
    assert_eq!(
        pricing.get("anthropic", "claude-x-20250929"),
        pricing.get("anthropic", "claude-x")
    );
    let usage = tokens(Some(1_000_000), Some(1_000_000));
    assert_eq!(
        pricing.cost("openai", "o-x-2024-08-06", &usage),
        pricing.cost("openai", "o-x", &usage)
    );
    for model in [
        "o-x-2024-13-01",            // not a calendar day
        "o-x-20230229",              // not a calendar day (2023 is not a leap year)
        "o-x-2024-08",               // not a whole date
        "o-x-240806",                // a short date
        "o-x2024-08-06",             // no dash before the date
        "o-x_20240806",              // no dash before the date
        "o-x-2024-08-06-preview",    // the date is not the suffix
        "o-x-2024-08-06-2024-08-07", // one date only is dropped
        "o-x-preview",               // not a date
        "o-x-mini",                  // no prefix guessing
        "o",                         // no prefix guessing
        "-2024-08-06",               // no name before the date
        "o-x-2024‐08‐06",            // not ASCII dashes
    ] {
        assert_eq!(pricing.get("openai", model), None, "{model}");
    }
    // The date is dropped only within the provider.
    assert_eq!(pricing.get("google", "o-x-2024-08-06"), None);
}

#[test]
fn a_dated_entry_of_its_own_wins_over_the_undated_one() {
    let mut pricing = table();
    pricing.merge(
        Pricing::from_toml_str(
            r#"
            valid_from = 2026-11-01
            [models.openai."o-x-2024-08-06"]
            input = 9.0
            output = 9.0
            "#,
        )
        .unwrap(),
    );
    assert_eq!(
        pricing
            .get("openai", "o-x-2024-08-06")
            .unwrap()
            .base()
            .input,
        9.0
    );
    assert_eq!(
        pricing
            .get("openai", "o-x-2025-01-01")
            .unwrap()
            .base()
            .input,
        1.0
    );
}

#[test]
fn a_missing_count_prices_nothing_for_its_kind_and_the_cost_says_partial() {
    let pricing = table();
    let cost = pricing
        .cost("openai", "o-x", &tokens(Some(1_000_000), None))
        .unwrap();
    assert_eq!((cost.input, cost.output, cost.reasoning), (1.0, 0.0, 0.0));
    assert!(cost.is_partial());
    assert_eq!(
        cost.unpriced.iter().collect::<Vec<_>>(),
        [TokenKind::Output]
    );
    // A count the usage lacks is not a gap in the table.
    assert!(cost.no_price.is_empty());

    // Unknown input: the base prices apply and input is unpriced.
    let cost = pricing
        .cost("google", "long-1.5", &tokens(None, Some(500_000)))
        .unwrap();
    assert_eq!((cost.input, cost.output), (0.0, 1.0));
    assert_eq!(cost.unpriced.iter().collect::<Vec<_>>(), [TokenKind::Input]);

    // Cache writes with no cache-write price in the entry.
    let usage = Usage {
        cache_creation: Some(100),
        ..tokens(Some(1_000_000), Some(0))
    };
    let cost = pricing.cost("openai", "o-x", &usage).unwrap();
    assert_eq!(cost.input, 0.9999); // 999_900 fresh * 1.0 / 1e6
    assert_eq!(
        cost.unpriced.iter().collect::<Vec<_>>(),
        [TokenKind::CacheCreation]
    );
    assert_eq!(
        cost.no_price.iter().collect::<Vec<_>>(),
        [TokenKind::CacheCreation]
    );

    // A complete usage with no cache counts is not partial.
    assert!(
        !pricing
            .cost("openai", "o-x", &tokens(Some(1), Some(1)))
            .unwrap()
            .is_partial()
    );
}

#[test]
fn json_and_toml_tables_read_the_same() {
    let json = r#"{"valid_from": "2026-11-01", "models": {"google": {"long-1.5": {"input": 1.0, "output": 2,
        "tiers": [{"above_input_tokens": 200000, "input": 2.0, "output": 4.0},
                  {"above_input_tokens": 1000000, "input": 4.0, "output": 8.0}]}}}}"#;
    let from_json = Pricing::from_json_str(json).unwrap();
    assert_eq!(
        from_json.get("google", "long-1.5"),
        table().get("google", "long-1.5")
    );
    assert_eq!(from_json.valid_from().to_string(), "2026-11-01");
    assert_eq!(table().valid_from(), from_json.valid_from());
    let tiers = from_json.get("google", "long-1.5").unwrap().tiers();
    assert_eq!(
        tiers
            .iter()
            .map(|t| t.above_input_tokens)
            .collect::<Vec<_>>(),
        [200_000, 1_000_000]
    );
}

#[test]
fn merge_replaces_whole_entries_and_keeps_the_later_date() {
    let mut pricing = table();
    let overrides = Pricing::from_toml_str(
        "valid_from = \"2026-12-01\"\n[models.openai.o-x]\ninput = 3.0\noutput = 6.0\n\
         [models.mistral_ai.m]\ninput = 1.0\noutput = 1.0\n",
    )
    .unwrap();
    pricing.merge(overrides);
    assert_eq!(pricing.valid_from().to_string(), "2026-12-01");
    let o_x = pricing.get("openai", "o-x").unwrap();
    assert_eq!(
        *o_x.base(),
        Prices {
            input: 3.0,
            output: 6.0,
            cache_read: None,
            cache_write: None,
            reasoning: None
        }
    );
    assert!(pricing.get("openai", "o-priced-reasoning").is_some());
    assert!(pricing.get("mistral_ai", "m").is_some());

    let mut older = Pricing::from_toml_str("valid_from = 2025-01-01\nmodels = {}").unwrap();
    older.merge(Pricing::from_toml_str("valid_from = 2024-06-30\nmodels = {}").unwrap());
    assert_eq!(older.valid_from().to_string(), "2025-01-01");
}

fn entry_error(toml: &str) -> (String, String, Option<String>, Problem) {
    match Pricing::from_toml_str(&format!("valid_from = 2026-11-01\n{toml}")) {
        Err(PricingError::Entry {
            provider,
            model,
            field,
            problem,
        }) => (provider, model, field, problem),
        other => panic!("expected an entry error, got {other:?}"),
    }
}

fn named(field: Option<&str>, problem: Problem) -> (String, String, Option<String>, Problem) {
    (
        "openai".to_owned(),
        "gpt-x".to_owned(),
        field.map(str::to_owned),
        problem,
    )
}

#[test]
fn a_bad_entry_is_an_error_naming_provider_model_and_field() {
    let head = "[models.openai.gpt-x]\n";
    let cases = [
        ("input = 1.0", Some("output"), Problem::Missing),
        ("input = 1.0\nouput = 2.0", Some("ouput"), Problem::Unknown),
        (
            "input = 1.0\noutput = \"10\"",
            Some("output"),
            Problem::NotANumber,
        ),
        (
            "input = nan\noutput = 1.0",
            Some("input"),
            Problem::NotANumber,
        ),
        (
            "input = 1.0\noutput = 1.0\ncache_read = -0.1",
            Some("cache_read"),
            Problem::Negative,
        ),
        (
            "input = 1.0\noutput = 1.0\ntiers = 3",
            Some("tiers"),
            Problem::NotAList,
        ),
    ];
    for (body, field, problem) in cases {
        assert_eq!(
            entry_error(&format!("{head}{body}")),
            named(field, problem),
            "{body}"
        );
    }

    let tiers = "input = 1.0\noutput = 1.0\n[[models.openai.gpt-x.tiers]]\nabove_input_tokens = 100\n\
                 input = 2.0\noutput = 2.0\n[[models.openai.gpt-x.tiers]]\n";
    let cases = [
        (
            "above_input_tokens = 100\ninput = 3.0\noutput = 3.0",
            "tiers[1].above_input_tokens",
            Problem::NotIncreasing,
        ),
        (
            "above_input_tokens = -5\ninput = 3.0\noutput = 3.0",
            "tiers[1].above_input_tokens",
            Problem::NotAnInteger,
        ),
        (
            "input = 3.0\noutput = 3.0",
            "tiers[1].above_input_tokens",
            Problem::Missing,
        ),
        (
            "above_input_tokens = 200\noutput = 3.0",
            "tiers[1].input",
            Problem::Missing,
        ),
        (
            "above_input_tokens = 200\ninput = 3.0\noutput = 3.0\nextra = 1",
            "tiers[1].extra",
            Problem::Unknown,
        ),
    ];
    for (body, field, problem) in cases {
        assert_eq!(
            entry_error(&format!("{head}{tiers}{body}")),
            named(Some(field), problem),
            "{body}"
        );
    }

    let error = Pricing::from_json_str(
        r#"{"valid_from": "2026-11-01", "models": {"openai": {"gpt-x": 3}}}"#,
    )
    .unwrap_err();
    assert!(matches!(
        &error,
        PricingError::Entry {
            field: None,
            problem: Problem::NotATable,
            ..
        }
    ));
    assert_eq!(error.to_string(), "pricing entry openai/gpt-x: not a table");
    let error =
        Pricing::from_toml_str(&format!("valid_from = 2026-11-01\n{head}input = 1.0")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "pricing entry openai/gpt-x, field `output`: missing"
    );
}

#[test]
fn a_bad_document_is_an_error_naming_the_field() {
    let document = |text: &str| match Pricing::from_toml_str(text) {
        Err(PricingError::Document { field, problem }) => (field, problem),
        other => panic!("expected a document error, got {other:?}"),
    };
    assert_eq!(
        document("models = {}"),
        ("valid_from".to_owned(), Problem::Missing)
    );
    assert_eq!(
        document("valid_from = \"2026-02-30\"\nmodels = {}"),
        ("valid_from".to_owned(), Problem::NotADate)
    );
    assert_eq!(
        document("valid_from = 2026-11-01T10:00:00Z\nmodels = {}"),
        ("valid_from".to_owned(), Problem::NotADate)
    );
    assert_eq!(
        document("valid_from = 2026-11-01"),
        ("models".to_owned(), Problem::Missing)
    );
    assert_eq!(
        document("valid_from = 2026-11-01\nmodels = {}\ncurrency = \"EUR\""),
        ("currency".to_owned(), Problem::Unknown)
    );
    assert_eq!(
        document("valid_from = 2026-11-01\nmodels = { openai = 1 }"),
        ("models.openai".to_owned(), Problem::NotATable)
    );
    assert!(matches!(
        Pricing::from_toml_str("valid_from = 2026-11-01\nmodels = {}\n[x\n"),
        Err(PricingError::Syntax {
            format: "TOML",
            line: Some(3),
            ..
        })
    ));
    assert!(matches!(
        Pricing::from_json_str("{\n\"valid_from\": }"),
        Err(PricingError::Syntax {
            format: "JSON",
            line: Some(2),
            ..
        })
    ));
    assert!(matches!(
        Pricing::from_json_str("[]"),
        Err(PricingError::Document {
            problem: Problem::NotATable,
            ..
        })
    ));
}

#[test]
fn files_are_read_by_extension() {
    assert!(matches!(
        Pricing::from_path("prices.yaml"),
        Err(PricingError::UnknownFormat { .. })
    ));
    let missing = std::env::temp_dir().join("obs-llm-pricing-test-does-not-exist.toml");
    let error = Pricing::from_path(&missing).unwrap_err();
    assert!(matches!(error, PricingError::Io { .. }));
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn dates_must_be_real_calendar_days() {
    assert_eq!(
        PriceDate::parse("2028-02-29").map(|d| d.to_string()),
        Some("2028-02-29".to_owned())
    );
    for bad in [
        "2026-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-04-31",
        "26-01-01",
        "2026-1-01",
        "2026-+1-01",
    ] {
        assert_eq!(PriceDate::parse(bad), None, "{bad}");
    }
}

#[test]
fn token_kinds_have_stable_label_values() {
    let labels: Vec<_> = TokenKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        labels,
        [
            "input",
            "cache_read",
            "cache_creation",
            "output",
            "reasoning"
        ]
    );
    let cost = Cost {
        input: 1.0,
        output: 2.0,
        ..Cost::default()
    };
    assert_eq!(cost.by_kind()[3], (TokenKind::Output, 2.0));
    for (i, kind) in TokenKind::ALL.into_iter().enumerate() {
        assert_eq!(kind.index(), i);
    }
}

mod bundled {
    use super::*;

    #[test]
    fn the_bundled_table_parses_with_its_date() {
        let pricing = Pricing::bundled();
        assert_eq!(pricing.valid_from().to_string(), "2026-12-01");
        for (provider, model) in [
            ("openai", "gpt-4o"),
            ("openai", "gpt-4.1-mini"),
            ("openai", "o4-mini"),
            ("openai", "gpt-5-nano"),
            ("anthropic", "claude-opus-4-5"),
            ("anthropic", "claude-haiku-4-5"),
            ("gcp.gemini", "gemini-2.5-pro"),
        ] {
            assert!(pricing.get(provider, model).is_some(), "{provider}/{model}");
        }
        // Parsed once: a second call gives the same table.
        assert_eq!(Pricing::bundled(), pricing);
    }

    #[test]
    fn openai_cached_input_is_priced_at_the_cached_price() {
        // gpt-4o: $2.50 input, $1.25 cached input, $10 output per million.
        let response = json!({"usage": {"prompt_tokens": 1_000_000, "completion_tokens": 200_000,
            "prompt_tokens_details": {"cached_tokens": 400_000}}});
        let usage = OpenAiJson(&response).usage().unwrap();
        let cost = Pricing::bundled().cost("openai", "gpt-4o", &usage).unwrap();
        assert_eq!(cost.input, 1.5); // 600_000 fresh * 2.50 / 1e6
        assert_eq!(cost.cache_read, 0.5); // 400_000 * 1.25 / 1e6
        assert_eq!(cost.output, 2.0); // 200_000 * 10 / 1e6
        assert_eq!(cost.total(), 4.0);
        assert!(!cost.is_partial());
    }

    #[test]
    fn openai_reasoning_is_billed_as_output() {
        // o3: $8 output per million, reasoning included.
        let response = json!({"usage": {"prompt_tokens": 50_000, "completion_tokens": 100_000,
            "completion_tokens_details": {"reasoning_tokens": 60_000}}});
        let usage = OpenAiJson(&response).usage().unwrap();
        let cost = Pricing::bundled().cost("openai", "o3", &usage).unwrap();
        assert_eq!(cost.input, 0.1); // 50_000 * 2 / 1e6
        assert_eq!(cost.output, 0.32); // 40_000 visible * 8 / 1e6
        assert_eq!(cost.reasoning, 0.48); // 60_000 * 8 / 1e6
    }

    #[test]
    fn anthropic_cache_reads_and_writes_have_their_own_prices() {
        // claude-opus-4-5: $5 input, $6.25 cache write (5 min), $0.50 cache read, $25 output.
        let response = json!({"usage": {"input_tokens": 250_000, "cache_read_input_tokens": 500_000,
            "cache_creation_input_tokens": 100_000, "output_tokens": 40_000}});
        let usage = AnthropicJson(&response).usage().unwrap();
        let cost = Pricing::bundled()
            .cost("anthropic", "claude-opus-4-5", &usage)
            .unwrap();
        assert_eq!(cost.input, 1.25); // 250_000 * 5 / 1e6
        assert_eq!(cost.cache_read, 0.25); // 500_000 * 0.50 / 1e6
        assert_eq!(cost.cache_creation, 0.625); // 100_000 * 6.25 / 1e6
        assert_eq!(cost.output, 1.0); // 40_000 * 25 / 1e6
        assert_eq!(cost.total(), 3.125);
    }

    #[test]
    fn gemini_long_prompts_take_the_tier_above_200k_input_tokens() {
        let pricing = Pricing::bundled();
        // 200_000 input tokens is not above the threshold: base prices ($1.25 in, $10 out).
        let at = Usage {
            input: Some(200_000),
            output: Some(10_000),
            ..Usage::default()
        };
        let cost = pricing.cost("gcp.gemini", "gemini-2.5-pro", &at).unwrap();
        assert_eq!(cost.input, 0.25); // 200_000 * 1.25 / 1e6
        assert_eq!(cost.output, 0.1); // 10_000 * 10 / 1e6
        // 300_000 (100_000 of them cached): the whole call at $2.50 / $0.25 cached / $15.
        let above = Usage {
            input: Some(300_000),
            output: Some(10_000),
            cache_read: Some(100_000),
            ..Usage::default()
        };
        let cost = pricing
            .cost("gcp.gemini", "gemini-2.5-pro", &above)
            .unwrap();
        assert_eq!(cost.input, 0.5); // 200_000 fresh * 2.50 / 1e6
        assert_eq!(cost.cache_read, 0.025); // 100_000 * 0.25 / 1e6
        assert_eq!(cost.output, 0.15); // 10_000 * 15 / 1e6
        assert_eq!(cost.total(), 0.675);
    }

    #[test]
    fn an_override_replaces_a_bundled_entry() {
        let mut pricing = Pricing::bundled();
        pricing.merge(
            Pricing::from_toml_str(
                "valid_from = 2027-01-01\n[models.openai.gpt-4o]\ninput = 1.0\noutput = 4.0\n",
            )
            .unwrap(),
        );
        assert_eq!(pricing.valid_from().to_string(), "2027-01-01");
        let entry = pricing.get("openai", "gpt-4o").unwrap();
        assert_eq!(entry.base().input, 1.0);
        assert_eq!(entry.base().cache_read, None);
        assert!(pricing.get("openai", "o3").is_some());
    }
}
