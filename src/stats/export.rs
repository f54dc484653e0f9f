//! CSV export: one row per content × channel × day with any activity, for spreadsheets.

use super::by_prefix;
use crate::domain::{ChannelRegistry, ContentId, DateRange};
use crate::error::Result;
use crate::store::Store;

/// Contents read from Redis per round trip, so a large export never builds one huge pipeline.
const CONTENTS_PER_ROUND: usize = 200;

// `intents` comes last, so spreadsheets built on the earlier columns keep working.
const HEADER: &str = "date,content_id,url,title,channel,private,clicks,unique_visitors,shares,bots,intents\r\n";

/// The export of a range as CSV text (RFC 4180, CRLF line ends).
pub async fn export_csv(store: &Store, channels: &ChannelRegistry, range: &DateRange) -> Result<String> {
    let days = range.days();
    let today = crate::domain::click::day_of(crate::domain::click::now_ms());
    let (_, ranked) = store.ranked_contents(&days, &today, 0, None).await?;
    let ranked: Vec<ContentId> = ranked.into_iter().map(|(id, _)| id).collect();
    let mut csv = String::from(HEADER);
    for ids in ranked.chunks(CONTENTS_PER_ROUND) {
        let metas = store.get_contents(ids).await?;
        let per_content = store.contents_days(ids, &days).await?;
        for ((id, meta), content_days) in ids.iter().zip(metas).zip(per_content) {
            let Some(meta) = meta else { continue };
            for (day, counters) in days.iter().zip(&content_days) {
                let [clicks, shares, bots, intents] = ["clicks:", "shares:", "bots:", "intents:"].map(|prefix| by_prefix(counters, prefix));
                for channel in channels.iter() {
                    let name = &channel.name;
                    let row = [clicks.get(name), shares.get(name), bots.get(name), intents.get(name)].map(|n| n.copied().unwrap_or(0));
                    if row == [0, 0, 0, 0] {
                        continue;
                    }
                    let unique = if row[0] > 0 { store.content_visitors(id, std::slice::from_ref(day), &[name]).await?.0 } else { 0 };
                    let fields = [
                        day.clone(),
                        id.to_string(),
                        meta.url.clone(),
                        meta.title.clone().unwrap_or_default(),
                        name.clone(),
                        channel.private.to_string(),
                        row[0].to_string(),
                        unique.to_string(),
                        row[1].to_string(),
                        row[2].to_string(),
                        row[3].to_string(),
                    ];
                    push_row(&mut csv, &fields);
                }
            }
        }
    }
    Ok(csv)
}

fn push_row(csv: &mut String, fields: &[String]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            csv.push(',');
        }
        csv.push_str(&csv_field(field));
    }
    csv.push_str("\r\n");
}

/// One CSV field: quoted when it holds a comma, quote or line break (quotes doubled), and
/// with a leading `'` when a spreadsheet would read it as a formula (a title such as
/// `=HYPERLINK(…)` must stay text).
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_stay_as_they_are() {
        assert_eq!(csv_field("Hello world"), "Hello world");
        assert_eq!(csv_field("https://example.com/a?b=c"), "https://example.com/a?b=c");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(csv_field("Fish, chips"), "\"Fish, chips\"");
        assert_eq!(csv_field("Say \"hi\""), "\"Say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\r\nlf"), "\"cr\r\nlf\"");
    }

    #[test]
    fn formulas_are_kept_as_text() {
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("=HYPERLINK(\"x\",\"y\")"), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
    }
}
