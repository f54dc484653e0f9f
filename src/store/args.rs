//! The arguments of a batch's script: tens of thousands of short strings, kept in one
//! buffer. As a `Vec<String>` they cost an allocation each to build, another to copy into
//! the Redis command, and a free each to drop, which made up much of the click writer's
//! time in the profile (docs/performance.md). They go to Redis as one MessagePack array;
//! in the spool they are a JSON array of strings, as before.

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

impl Args {
    /// The arguments from the `first` on, as one MessagePack array of strings: the form in
    /// which apply_clicks.lua takes a batch's ops. Redis decodes it in C at once (its
    /// `cmsgpack`), where tens of thousands of arguments each became a Redis string and then
    /// a Lua string (docs/performance.md).
    pub fn to_msgpack(&self, first: usize) -> Vec<u8> {
        let count = self.len().saturating_sub(first);
        // Where the first argument sent starts in `text`: the end of the one before it.
        let start = if first == 0 { 0 } else { self.ends.get(first - 1).copied().unwrap_or(self.text.len()) };
        let mut out = Vec::with_capacity(5 + 5 * count + self.text.len() - start);
        push_header(&mut out, &ARRAY, count);
        for arg in self.iter().skip(first) {
            push_header(&mut out, &STR, arg.len());
            out.extend_from_slice(arg.as_bytes());
        }
        out
    }
}

/// The first bytes of a MessagePack type's headers: the one-byte form (the length in its low
/// bits, below `fixed_below`), then the forms followed by an 8-bit (strings only), 16-bit
/// and 32-bit length.
struct Headers {
    fixed: u8,
    fixed_below: usize,
    len8: Option<u8>,
    len16: u8,
    len32: u8,
}

const ARRAY: Headers = Headers { fixed: 0x90, fixed_below: 16, len8: None, len16: 0xdc, len32: 0xdd };
const STR: Headers = Headers { fixed: 0xa0, fixed_below: 32, len8: Some(0xd9), len16: 0xda, len32: 0xdb };

/// Appends the smallest header of `kind` that holds `len`.
fn push_header(out: &mut Vec<u8>, kind: &Headers, len: usize) {
    match (len, kind.len8) {
        (len, _) if len < kind.fixed_below => out.push(kind.fixed | len as u8),
        (0..256, Some(len8)) => out.extend_from_slice(&[len8, len as u8]),
        (0..65_536, _) => {
            out.push(kind.len16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(kind.len32);
            out.extend_from_slice(&saturating_u32(len).to_be_bytes());
        }
    }
}

/// A batch is megabytes at most, far below 4 GiB; past it Redis would refuse the array, and
/// the batch would wait in the spool, rather than be cut.
fn saturating_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
    fn msgpack_sizes_every_string_and_the_array_by_the_smallest_header_that_fits() {
        let args: Args = ["ttl", "", "ab"].into_iter().collect();
        assert_eq!(args.to_msgpack(1), [0x92, 0xa0, 0xa2, b'a', b'b']);
        let long = |len: usize| "x".repeat(len);
        for (len, header) in [(31, vec![0xa0 | 31]), (32, vec![0xd9, 32]), (255, vec![0xd9, 255]), (256, vec![0xda, 1, 0]), (65_536, vec![0xdb, 0, 1, 0, 0])] {
            let args: Args = [long(len).as_str()].into_iter().collect();
            let packed = args.to_msgpack(0);
            assert_eq!((&packed[..1 + header.len()], packed.len()), (&[&[0x91][..], &header].concat()[..], 1 + header.len() + len), "{len} bytes");
        }
        for (count, header) in [(15, vec![0x9f]), (16, vec![0xdc, 0, 16]), (65_536, vec![0xdd, 0, 1, 0, 0])] {
            let args: Args = std::iter::repeat_n("", count).collect();
            let packed = args.to_msgpack(0);
            assert_eq!((&packed[..header.len()], packed.len()), (&header[..], header.len() + count), "{count} strings");
        }
    }
}
