//! A small, strict argument parser: positionals, `--name value` options and flags.
//! Anything unexpected is a [`UsageError`], which `main` turns into exit code 2.

use std::fmt;

use distlab_core::catalog;
use distlab_core::lab::topic::TopicInfo;

#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Args {
    pub positionals: Vec<String>,
    options: Vec<(String, String)>,
    flags: Vec<String>,
}

impl Args {
    /// Parses `argv` accepting the named options (which take a value) and flags.
    pub fn parse(argv: &[String], options: &[&str], flags: &[&str]) -> Result<Args, UsageError> {
        let mut args = Args {
            positionals: Vec::new(),
            options: Vec::new(),
            flags: Vec::new(),
        };
        let mut iter = argv.iter();
        while let Some(arg) = iter.next() {
            let Some(name) = arg.strip_prefix("--") else {
                args.positionals.push(arg.clone());
                continue;
            };
            let (name, inline) = match name.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (name, None),
            };
            if flags.contains(&name) && inline.is_none() {
                args.flags.push(name.to_string());
            } else if options.contains(&name) {
                let value = match inline {
                    Some(value) => value,
                    None => iter
                        .next()
                        .cloned()
                        .ok_or_else(|| UsageError(format!("--{name} needs a value")))?,
                };
                if name != "param" && args.value(name).is_some() {
                    return Err(UsageError(format!("--{name} given twice")));
                }
                args.options.push((name.to_string(), value));
            } else {
                return Err(UsageError(format!("unknown option --{name}")));
            }
        }
        Ok(args)
    }

    pub fn no_positionals(&self) -> Result<(), UsageError> {
        match self.positionals.first() {
            Some(extra) => Err(UsageError(format!("unexpected argument '{extra}'"))),
            None => Ok(()),
        }
    }

    /// The single positional argument, looked up in the catalog.
    pub fn topic(&self) -> Result<&'static TopicInfo, UsageError> {
        match self.positionals.as_slice() {
            [slug] => catalog::find(slug)
                .ok_or_else(|| UsageError(format!("unknown topic '{slug}' (see 'distlab list')"))),
            [] => Err(UsageError("missing TOPIC".into())),
            [_, extra, ..] => Err(UsageError(format!("unexpected argument '{extra}'"))),
        }
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.options
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    /// A non-negative integer option.
    pub fn number(&self, name: &str) -> Result<Option<u64>, UsageError> {
        self.value(name)
            .map(|text| {
                text.parse::<u64>().map_err(|_| {
                    UsageError(format!(
                        "--{name} wants a non-negative integer, not '{text}'"
                    ))
                })
            })
            .transpose()
    }
}
