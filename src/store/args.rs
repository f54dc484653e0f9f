//! The arguments of a batch's script: tens of thousands of short strings, kept in one
//! buffer. As a `Vec<String>` they cost an allocation each to build, another to copy into
//! the Redis command, and a free each to drop, which made up much of the click writer's
//! time in the profile (docs/performance.md). In the spool they are a JSON array of strings,
//! as before.

use redis::{RedisWrite, ToRedisArgs};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A list of string arguments in one buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    text: String,
    /// Where each argument ends in `text`.
    ends: Vec<usize>,
}

impl Args {
    pub fn push(&mut self, arg: &str) {
        self.text.push_str(arg);
        self.ends.push(self.text.len());
    }

    /// Appends an integer, formatted by `itoa`: the click writer appends several per click,
    /// and `Display` through `fmt::write` cost several times as much.
    pub fn push_int(&mut self, arg: impl itoa::Integer) {
        self.text.push_str(itoa::Buffer::new().format(arg));
        self.ends.push(self.text.len());
    }

    /// Appends one argument that `build` writes straight into the buffer.
    pub fn push_with(&mut self, build: impl FnOnce(&mut String)) {
        build(&mut self.text);
        self.ends.push(self.text.len());
    }

    /// Appends to the last argument what `build` writes (a new argument if there is none).
    pub fn append_to_last(&mut self, build: impl FnOnce(&mut String)) {
        build(&mut self.text);
        match self.ends.last_mut() {
            Some(end) => *end = self.text.len(),
            None => self.ends.push(self.text.len()),
        }
    }

    pub fn extend(&mut self, other: &Args) {
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|end| end + offset));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        Some(&self.text[start..end])
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(start, end)| &self.text[start..end])
    }
}

impl<'a> FromIterator<&'a str> for Args {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Args {
        let mut args = Args::default();
        for arg in iter {
            args.push(arg);
        }
        args
    }
}

impl ToRedisArgs for Args {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        for arg in self.iter() {
            out.write_arg(arg.as_bytes());
        }
    }

    fn num_of_args(&self) -> usize {
        self.len()
    }
}

impl Serialize for Args {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Args, D::Error> {
        let list = Vec::<String>::deserialize(deserializer)?;
        Ok(list.iter().map(String::as_str).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_come_back_as_pushed_empty_ones_too() {
        let mut args = Args::default();
        args.push("h");
        args.push("");
        args.push_int(42);
        let mut more = Args::default();
        more.append_to_last(|out| out.push_str("ta"));
        more.append_to_last(|out| out.push_str("il"));
        args.extend(&more);
        assert_eq!(args.iter().collect::<Vec<_>>(), ["h", "", "42", "tail"]);
        assert_eq!((args.len(), args.get(2), args.get(4)), (4, Some("42"), None));
    }

    #[test]
    fn the_spool_sees_a_list_of_strings() {
        let args: Args = ["x", "", "üñï"].into_iter().collect();
        let json = serde_json::to_string(&args).expect("serialises");
        assert_eq!(json, r#"["x","","üñï"]"#);
        assert_eq!(serde_json::from_str::<Args>(&json).expect("parses"), args);
    }

    #[test]
    fn redis_gets_one_argument_each() {
        let args: Args = ["a", "bc", ""].into_iter().collect();
        assert_eq!(args.to_redis_args(), vec![b"a".to_vec(), b"bc".to_vec(), Vec::new()]);
    }
}
