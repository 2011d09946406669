//! Hash routes: `#/` is the catalog, `#/SLUG?s=LINK&embed` a topic page.
//!
//! Hash routing works on any static host and inside an iframe. Parsing is plain Rust
//! (tested natively) and total: anything unrecognised is [`Route::NotFound`] and
//! unknown query keys are ignored.

/// Where the app is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Home,
    Topic { slug: String, query: Query },
    NotFound(String),
}

/// The query of a topic route.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// The encoded scenario (`s=`).
    pub scenario: Option<String>,
    /// `embed` present: hide the page chrome.
    pub embed: bool,
    /// `t=` milliseconds: open paused at this instant of the run.
    pub time_ms: Option<u64>,
}

impl Route {
    /// Parses a location hash (with or without the leading `#`).
    pub fn parse(hash: &str) -> Route {
        let hash = hash.strip_prefix('#').unwrap_or(hash);
        let (path, query) = hash.split_once('?').unwrap_or((hash, ""));
        let path = path.trim_matches('/');
        let query = Query::parse(query);
        if path.is_empty() {
            return Route::Home;
        }
        if distlab_core::lab::scenario::is_slug(path) {
            Route::Topic {
                slug: path.to_string(),
                query,
            }
        } else {
            Route::NotFound(path.chars().take(64).collect())
        }
    }

    /// Whether the route asks for embed mode.
    pub fn embed(&self) -> bool {
        matches!(self, Route::Topic { query, .. } if query.embed)
    }
}

impl Query {
    pub fn parse(query: &str) -> Query {
        let mut parsed = Query::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "s" if !value.is_empty() => parsed.scenario = Some(value.to_string()),
                "embed" => parsed.embed = value != "0",
                "t" => parsed.time_ms = value.parse().ok(),
                _ => {}
            }
        }
        parsed
    }
}

/// The hash of a topic page showing `scenario` (already encoded).
pub fn topic_hash(slug: &str, encoded_scenario: &str, embed: bool) -> String {
    let mut hash = format!("#/{slug}?s={encoded_scenario}");
    if embed {
        hash.push_str("&embed");
    }
    hash
}

/// The same hash opening paused at `time_ms`.
pub fn with_time(hash: &str, time_ms: u64) -> String {
    format!("{hash}&t={time_ms}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_home_topics_and_junk() {
        assert_eq!(Route::parse(""), Route::Home);
        assert_eq!(Route::parse("#/"), Route::Home);
        assert_eq!(
            Route::parse("#/raft?s=AQRy&embed"),
            Route::Topic {
                slug: "raft".into(),
                query: Query {
                    scenario: Some("AQRy".into()),
                    embed: true,
                    time_ms: None,
                }
            }
        );
        assert_eq!(
            Route::parse("#/raft?s=x&t=1500&t2=9&zzz"),
            Route::Topic {
                slug: "raft".into(),
                query: Query {
                    scenario: Some("x".into()),
                    embed: false,
                    time_ms: Some(1500),
                }
            }
        );
        assert_eq!(
            Route::parse("#/raft?t=-4"),
            Route::Topic {
                slug: "raft".into(),
                query: Query::default()
            }
        );
        assert_eq!(
            Route::parse("#/raft"),
            Route::Topic {
                slug: "raft".into(),
                query: Query::default()
            }
        );
        assert!(matches!(Route::parse("#/<script>"), Route::NotFound(_)));
        assert!(matches!(Route::parse("#/a/b"), Route::NotFound(_)));
    }

    #[test]
    fn round_trips_through_topic_hash() {
        let hash = topic_hash("raft", "AQRy", true);
        assert!(Route::parse(&hash).embed());
        assert_eq!(
            Route::parse(&topic_hash("raft", "AQRy", false)),
            Route::Topic {
                slug: "raft".into(),
                query: Query {
                    scenario: Some("AQRy".into()),
                    embed: false,
                    time_ms: None,
                }
            }
        );
    }
}
