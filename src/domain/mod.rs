//! Parsed domain types. Input is parsed into these once, at the edge; code past the edge
//! never sees a raw string where one of these belongs.

pub mod allowed_hosts;
pub mod api_token;
pub mod channel;
pub mod click;
pub mod code;
pub mod content;
pub mod date_range;
pub mod link;
pub mod password;
pub mod secret;
pub mod target_url;
pub mod widget_origins;

pub use allowed_hosts::AllowedHosts;
pub use api_token::{NewToken, TokenDigest, TokenLabel};
pub use channel::{Channel, ChannelRegistry, ShareTemplate};
pub use click::{Click, ClickKind};
pub use code::ShortCode;
pub use content::{Campaign, ContentId, Title};
pub use date_range::DateRange;
pub use link::{Link, UtmPolicy};
pub use password::AdminPassword;
pub use target_url::TargetUrl;
pub use widget_origins::WidgetOrigins;
