//! The typed events footfall stores, whatever wire format they arrived in.
//!
//! Every ingest format (native `/api/v1/collect`, userBehaviour.js) is parsed at the edge into
//! [`EventData`]; nothing past the parsers sees raw JSON. The variants are deliberately
//! privacy-shaped: there is no field that could hold an input value, and key events carry a
//! [`KeyClass`] unless the site opted in to raw keys.

use serde::{Deserialize, Serialize};

use super::ecommerce::Commerce;

/// One captured interaction, without identity or enrichment (those live on the batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventData {
    /// A page was shown: a full load or a single-page-app navigation.
    Pageview {
        url: String,
        title: Option<String>,
        referrer: Option<String>,
    },
    /// A click, in viewport coordinates, with the page coordinate when known, and what the
    /// heatmaps and frustration signals need (footfall.js sends it; other formats may not).
    Click {
        x: i32,
        y: i32,
        page_y: Option<i32>,
        selector: String,
        text: Option<String>,
        /// Where inside the clicked element's box.
        offset: Option<ElementOffset>,
        /// The viewport's size at the click.
        viewport: Option<Viewport>,
        /// The element sits in a `position: fixed|sticky` ancestor: it stays where it is in
        /// the viewport while the page scrolls.
        fixed: bool,
        /// Nothing answered the click (docs/tracker.md, "Dead clicks").
        dead: bool,
    },
    /// A sampled pointer position (viewport coordinates), with the page coordinate and the
    /// viewport width when known.
    Move {
        x: i32,
        y: i32,
        page_y: Option<i32>,
        viewport_width: Option<i32>,
    },
    /// A scroll position and, when the tracker knows the document height, the depth in
    /// percent; with the viewport height, where the visible part ends.
    Scroll {
        x: i32,
        y: i32,
        depth_pct: Option<u8>,
        viewport_height: Option<i32>,
    },
    /// A key press reduced to its class; `raw` only when the site opted in to raw keys.
    Key {
        class: KeyClass,
        raw: Option<String>,
    },
    /// A form interaction, by form and field name, never a value.
    Form {
        action: FormAction,
        form: String,
        field: Option<String>,
    },
    /// A touch: the start point, or a tap/swipe summary.
    Touch { action: TouchAction, x: i32, y: i32 },
    /// An audio or video element changed state.
    Media {
        action: MediaAction,
        src: String,
        position_ms: Option<i64>,
    },
    /// The page became hidden or visible (feeds engaged-time accounting).
    Visibility { visible: bool },
    /// The viewport changed size.
    Resize { width: i32, height: i32 },
    /// Time the visitor spent on the page while it was visible and recently active.
    Engagement { engaged_ms: i64 },
    /// A site-defined event with JSON properties (kept as JSON text).
    Custom { name: String, props: Option<String> },
    /// A GA4 e-commerce event.
    Commerce(Commerce),
    /// The visitor signed in as `user_id` (traits as JSON text).
    Identify {
        user_id: String,
        traits: Option<String>,
    },
    /// A JavaScript error on the page: the message (masked by the tracker), the script's URL
    /// without query or fragment, and the position in it.
    Error {
        message: String,
        source: Option<String>,
        line: Option<i32>,
        column: Option<i32>,
    },
}

/// A position inside an element's box, in thousandths of its width and height (`0..=1000`):
/// the same spot on the element whatever size the layout gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementOffset {
    pub x: u16,
    pub y: u16,
}

impl ElementOffset {
    pub const MAX: u16 = 1000;
}

/// A viewport's size in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewport {
    pub width: i32,
    pub height: i32,
}

impl EventData {
    pub fn kind(&self) -> EventKind {
        match self {
            EventData::Pageview { .. } => EventKind::Pageview,
            EventData::Click { .. } => EventKind::Click,
            EventData::Move { .. } => EventKind::Move,
            EventData::Scroll { .. } => EventKind::Scroll,
            EventData::Key { .. } => EventKind::Key,
            EventData::Form { .. } => EventKind::Form,
            EventData::Touch { .. } => EventKind::Touch,
            EventData::Media { .. } => EventKind::Media,
            EventData::Visibility { .. } => EventKind::Visibility,
            EventData::Resize { .. } => EventKind::Resize,
            EventData::Engagement { .. } => EventKind::Engagement,
            EventData::Custom { .. } => EventKind::Custom,
            EventData::Commerce(_) => EventKind::Commerce,
            EventData::Identify { .. } => EventKind::Identify,
            EventData::Error { .. } => EventKind::Error,
        }
    }
}

/// The stored discriminant of an event; its string form is what reports and the API show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Pageview,
    Click,
    Move,
    Scroll,
    Key,
    Form,
    Touch,
    Media,
    Visibility,
    Resize,
    Engagement,
    Custom,
    Commerce,
    Identify,
    Error,
}

impl EventKind {
    pub const ALL: [EventKind; 15] = [
        EventKind::Pageview,
        EventKind::Click,
        EventKind::Move,
        EventKind::Scroll,
        EventKind::Key,
        EventKind::Form,
        EventKind::Touch,
        EventKind::Media,
        EventKind::Visibility,
        EventKind::Resize,
        EventKind::Engagement,
        EventKind::Custom,
        EventKind::Commerce,
        EventKind::Identify,
        EventKind::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Pageview => "pageview",
            EventKind::Click => "click",
            EventKind::Move => "move",
            EventKind::Scroll => "scroll",
            EventKind::Key => "key",
            EventKind::Form => "form",
            EventKind::Touch => "touch",
            EventKind::Media => "media",
            EventKind::Visibility => "visibility",
            EventKind::Resize => "resize",
            EventKind::Engagement => "engagement",
            EventKind::Custom => "custom",
            EventKind::Commerce => "commerce",
            EventKind::Identify => "identify",
            EventKind::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a keystroke is, without what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyClass {
    Letter,
    Digit,
    Whitespace,
    Punctuation,
    Enter,
    Backspace,
    Navigation,
    Modifier,
    Other,
}

impl KeyClass {
    pub const ALL: [KeyClass; 9] = [
        KeyClass::Letter,
        KeyClass::Digit,
        KeyClass::Whitespace,
        KeyClass::Punctuation,
        KeyClass::Enter,
        KeyClass::Backspace,
        KeyClass::Navigation,
        KeyClass::Modifier,
        KeyClass::Other,
    ];

    /// Classifies a `KeyboardEvent.key` value.
    pub fn of(key: &str) -> KeyClass {
        let mut chars = key.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return if c.is_alphabetic() {
                KeyClass::Letter
            } else if c.is_numeric() {
                KeyClass::Digit
            } else if c.is_whitespace() {
                KeyClass::Whitespace
            } else {
                KeyClass::Punctuation
            };
        }
        match key {
            "Enter" => KeyClass::Enter,
            "Backspace" | "Delete" => KeyClass::Backspace,
            "Tab" => KeyClass::Whitespace,
            "ArrowUp" | "ArrowDown" | "ArrowLeft" | "ArrowRight" | "Home" | "End" | "PageUp"
            | "PageDown" => KeyClass::Navigation,
            "Shift" | "Control" | "Alt" | "Meta" | "CapsLock" | "AltGraph" | "Fn" | "OS" => {
                KeyClass::Modifier
            }
            _ => KeyClass::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyClass::Letter => "letter",
            KeyClass::Digit => "digit",
            KeyClass::Whitespace => "whitespace",
            KeyClass::Punctuation => "punctuation",
            KeyClass::Enter => "enter",
            KeyClass::Backspace => "backspace",
            KeyClass::Navigation => "navigation",
            KeyClass::Modifier => "modifier",
            KeyClass::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormAction {
    Focus,
    Change,
    Submit,
    Abandon,
}

impl FormAction {
    pub const ALL: [FormAction; 4] = [
        FormAction::Focus,
        FormAction::Change,
        FormAction::Submit,
        FormAction::Abandon,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FormAction::Focus => "focus",
            FormAction::Change => "change",
            FormAction::Submit => "submit",
            FormAction::Abandon => "abandon",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TouchAction {
    Start,
    Tap,
    Swipe,
}

impl TouchAction {
    pub const ALL: [TouchAction; 3] = [TouchAction::Start, TouchAction::Tap, TouchAction::Swipe];

    pub fn as_str(self) -> &'static str {
        match self {
            TouchAction::Start => "start",
            TouchAction::Tap => "tap",
            TouchAction::Swipe => "swipe",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaAction {
    Play,
    Pause,
    Ended,
    Seek,
}

impl MediaAction {
    pub const ALL: [MediaAction; 4] = [
        MediaAction::Play,
        MediaAction::Pause,
        MediaAction::Ended,
        MediaAction::Seek,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MediaAction::Play => "play",
            MediaAction::Pause => "pause",
            MediaAction::Ended => "ended",
            MediaAction::Seek => "seek",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_classes_never_keep_the_character() {
        assert_eq!(KeyClass::of("a"), KeyClass::Letter);
        assert_eq!(KeyClass::of("Ä"), KeyClass::Letter);
        assert_eq!(KeyClass::of("2"), KeyClass::Digit);
        assert_eq!(KeyClass::of(" "), KeyClass::Whitespace);
        assert_eq!(KeyClass::of("!"), KeyClass::Punctuation);
        assert_eq!(KeyClass::of("Enter"), KeyClass::Enter);
        assert_eq!(KeyClass::of("Backspace"), KeyClass::Backspace);
        assert_eq!(KeyClass::of("ArrowLeft"), KeyClass::Navigation);
        assert_eq!(KeyClass::of("Shift"), KeyClass::Modifier);
        assert_eq!(KeyClass::of("F5"), KeyClass::Other);
        assert_eq!(KeyClass::of(""), KeyClass::Other);
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
    }
}
