//! A link: one short code for one content shared through one channel (and campaign).

use crate::domain::{ContentId, ShortCode, TargetUrl};

/// A stored short link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub code: ShortCode,
    pub content_id: ContentId,
    pub channel: String,
    pub campaign: Option<String>,
    pub target: TargetUrl,
    pub created_ms: i64,
    pub enabled: bool,
}

/// How redirect targets are tagged with UTM parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtmPolicy {
    pub enabled: bool,
    pub medium_private: String,
    pub medium_public: String,
}

impl Link {
    /// The redirect target: the page plus `utm_source`, `utm_medium` and `utm_campaign`,
    /// each only where the page does not set it already (a CMS's own tags win).
    pub fn location(&self, utm: &UtmPolicy, private_channel: bool) -> String {
        if !utm.enabled {
            return self.target.to_string();
        }
        let mut url = self.target.as_url().clone();
        let present: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        let medium = if private_channel { &utm.medium_private } else { &utm.medium_public };
        let tags = [
            ("utm_source", Some(self.channel.as_str())),
            ("utm_medium", Some(medium.as_str())),
            ("utm_campaign", self.campaign.as_deref()),
        ];
        let missing: Vec<(&str, &str)> = tags
            .into_iter()
            .filter_map(|(key, value)| value.map(|v| (key, v)))
            .filter(|(key, value)| !value.is_empty() && !present.iter().any(|p| p == key))
            .collect();
        if !missing.is_empty() {
            url.query_pairs_mut().extend_pairs(missing);
        }
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(target: &str, campaign: Option<&str>) -> Link {
        Link {
            code: ShortCode::parse("abc23456").expect("code"),
            content_id: ContentId::parse("0123456789abcdef").expect("id"),
            channel: "whatsapp".into(),
            campaign: campaign.map(Into::into),
            target: TargetUrl::parse(target).expect("url"),
            created_ms: 0,
            enabled: true,
        }
    }

    fn policy(enabled: bool) -> UtmPolicy {
        UtmPolicy { enabled, medium_private: "dark-social".into(), medium_public: "social".into() }
    }

    #[test]
    fn utm_tags_are_added_by_channel_kind() {
        let l = link("https://example.com/p", Some("spring sale"));
        assert_eq!(
            l.location(&policy(true), true),
            "https://example.com/p?utm_source=whatsapp&utm_medium=dark-social&utm_campaign=spring+sale"
        );
        assert_eq!(l.location(&policy(true), false), "https://example.com/p?utm_source=whatsapp&utm_medium=social&utm_campaign=spring+sale");
    }

    #[test]
    fn existing_utm_tags_and_query_are_kept() {
        let l = link("https://example.com/p?id=7&utm_source=newsletter", None);
        assert_eq!(l.location(&policy(true), true), "https://example.com/p?id=7&utm_source=newsletter&utm_medium=dark-social");
    }

    #[test]
    fn tagging_can_be_turned_off() {
        assert_eq!(link("https://example.com/p", Some("x")).location(&policy(false), true), "https://example.com/p");
    }
}
