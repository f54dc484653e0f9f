//! Share buttons for any page: the embeddable script (`/widget.js`) with its stylesheet,
//! and the same buttons as server-rendered HTML for pages that run no script. Both draw
//! from one list of icons and one markup, described in [`buttons`].

pub mod assets;
pub mod buttons;
pub mod icons;
