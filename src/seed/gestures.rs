//! What a visitor's hands do on a page: pointer moves and touches, scrolling deeper, stray and
//! meant clicks, typing into forms (search, newsletter, checkout, login) and watching a video.
//!
//! These are the building blocks of [`super::page`]; each pushes its events at plausible
//! intervals onto the visit.

use crate::model::{
    ElementOffset, EventData, FormAction, KeyClass, MediaAction, TouchAction, Viewport,
};

use super::tables::{ANSWERLESS, FIXED_HEADER, MISC_CLICKS, SCRIPT_ERRORS};
use super::visit::Visit;

/// Scroll position of the current page.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Scroll {
    /// Percent of the page seen so far.
    pub(super) depth: u8,
    /// Height of the document.
    pub(super) doc: i32,
    /// Height of the viewport.
    pub(super) view: i32,
}

impl Scroll {
    /// How far down the document the viewport is.
    pub(super) fn offset(&self) -> i32 {
        (self.doc - self.view).max(0) * i32::from(self.depth) / 100
    }
}

impl Visit<'_> {
    /// Reading the page: `min..=max` gestures among pointer moves (or touches), scrolls going
    /// deeper, stray clicks, and keys.
    pub(super) fn browse(&mut self, min: i64, max: i64) {
        let n = self.rng.range(min, max);
        for _ in 0..n {
            let r = self.rng.below(100);
            if r < 50 {
                if self.touch {
                    self.touch_gesture();
                } else {
                    let moves = self.rng.range(2, 6);
                    for _ in 0..moves {
                        let (x, y) = self.point();
                        let ev = EventData::Move {
                            x,
                            y,
                            page_y: Some(y + self.scroll.offset()),
                            viewport_width: Some(self.screen.0),
                        };
                        self.push_in(80, 900, ev);
                    }
                }
            } else if r < 85 {
                let sc = &mut self.scroll;
                if sc.depth < 100 {
                    sc.depth = (sc.depth + self.rng.range(8, 30) as u8).min(100);
                    let y = (sc.doc - sc.view).max(0) * i32::from(sc.depth) / 100;
                    let ev = EventData::Scroll {
                        x: 0,
                        y,
                        depth_pct: Some(sc.depth),
                        viewport_height: Some(sc.view),
                    };
                    self.push_in(500, 4_000, ev);
                }
            } else if r < 97 {
                let (selector, text) = self.rng.pick(MISC_CLICKS);
                let at = self.point();
                self.t += self.rng.range(300, 3_000);
                self.click_at(at, selector, text);
                // Clicking again and again on what does not answer: a rage burst.
                if ANSWERLESS.contains(&selector) && self.rng.chance(0.15) {
                    for _ in 0..self.rng.range(2, 5) {
                        let near = (at.0 + self.rng.int(-8, 8), at.1 + self.rng.int(-8, 8));
                        self.t += self.rng.range(80, 450);
                        self.click_now(near, selector, text);
                    }
                }
            } else if !self.touch {
                // Keyboard scrolling or a shortcut.
                let class = if self.rng.chance(0.7) {
                    KeyClass::Navigation
                } else {
                    KeyClass::Modifier
                };
                self.push_in(300, 3_000, EventData::Key { class, raw: None });
            }
        }
    }

    /// A finger down, then a swipe up the page or a tap.
    fn touch_gesture(&mut self) {
        let (x, y) = self.point();
        self.push_in(
            400,
            4_000,
            EventData::Touch {
                action: TouchAction::Start,
                x,
                y,
            },
        );
        let action = if self.rng.chance(0.7) {
            TouchAction::Swipe
        } else {
            TouchAction::Tap
        };
        let ev = EventData::Touch {
            action,
            x,
            y: (y - self.rng.int(0, 300)).max(0),
        };
        self.push_in(60, 400, ev);
    }

    /// Anywhere on the screen.
    pub(super) fn point(&mut self) -> (i32, i32) {
        (
            self.rng.int(0, self.screen.0 - 1),
            self.rng.int(0, self.screen.1 - 1),
        )
    }

    /// A click somewhere on the screen.
    pub(super) fn click(&mut self, selector: &str, text: Option<&str>) {
        let at = self.point();
        self.click_at(at, selector, text);
    }

    /// A click at `(x, y)` in the viewport, scrolled as far as the page is, 200 to 2,500 ms
    /// after the previous event.
    pub(super) fn click_at(&mut self, at: (i32, i32), selector: &str, text: Option<&str>) {
        self.t += self.rng.range(200, 2_500) - 1;
        self.click_now(at, selector, text);
    }

    /// A click 1 ms after the previous event: where inside the element (mostly near its
    /// middle), in the header's fixed bar or not, and, on elements without a handler, often
    /// dead.
    pub(super) fn click_now(&mut self, (x, y): (i32, i32), selector: &str, text: Option<&str>) {
        let page_y = Some(y + self.scroll.offset());
        let mut inside = || (self.rng.int(80, 920) + self.rng.int(80, 920)) / 2;
        let offset = ElementOffset {
            x: inside() as u16,
            y: inside() as u16,
        };
        let dead = if ANSWERLESS.contains(&selector) {
            self.rng.chance(0.7)
        } else {
            self.rng.chance(0.005)
        };
        let ev = EventData::Click {
            x,
            y,
            page_y,
            selector: selector.to_owned(),
            text: text.map(str::to_owned),
            offset: Some(offset),
            viewport: Some(Viewport {
                width: self.screen.0,
                height: self.screen.1,
            }),
            fixed: FIXED_HEADER.contains(&selector),
            dead,
        };
        self.push(1, ev);
    }

    /// A JavaScript error `lo..=hi` ms after the previous event, from the shop's script.
    pub(super) fn script_error(&mut self, lo: i64, hi: i64) {
        let (message, line, column) = self.rng.pick(SCRIPT_ERRORS);
        let ev = EventData::Error {
            message: message.to_owned(),
            source: Some(self.cat.script.clone()),
            line: Some(line),
            column: Some(column),
        };
        self.push_in(lo, hi, ev);
    }

    pub(super) fn form(
        &mut self,
        action: FormAction,
        form: &str,
        field: Option<&str>,
        lo: i64,
        hi: i64,
    ) {
        let ev = EventData::Form {
            action,
            form: form.to_owned(),
            field: field.map(str::to_owned),
        };
        self.push_in(lo, hi, ev);
    }

    /// Focuses `field` of `form` (`focus_ms` after the previous event) and types
    /// `length.0..=length.1` keys into it (`digits`: a number field).
    pub(super) fn type_in(
        &mut self,
        form: &str,
        field: &str,
        focus_ms: (i64, i64),
        length: (i64, i64),
        digits: bool,
    ) {
        self.form(FormAction::Focus, form, Some(field), focus_ms.0, focus_ms.1);
        let n = self.rng.range(length.0, length.1) as usize;
        self.keys(n, digits);
    }

    /// `n` key presses while typing, by class (the key itself is not recorded by default).
    fn keys(&mut self, n: usize, digits: bool) {
        for _ in 0..n {
            let r = self.rng.below(100);
            let class = match r {
                0..=6 => KeyClass::Backspace,
                7..=11 if !digits => KeyClass::Punctuation,
                12..=17 if !digits => KeyClass::Whitespace,
                // Shift on a physical keyboard; touch keyboards do not report it.
                18..=20 if !self.touch => KeyClass::Modifier,
                _ if digits => KeyClass::Digit,
                _ => KeyClass::Letter,
            };
            self.push_in(60, 350, EventData::Key { class, raw: None });
        }
    }

    /// The shop's search box: mostly submitted with Enter, sometimes given up.
    pub(super) fn search(&mut self) {
        self.type_in("search", "q", (300, 2_000), (3, 9), false);
        self.form(FormAction::Change, "search", Some("q"), 50, 300);
        if self.rng.chance(0.8) {
            self.push_in(
                100,
                800,
                EventData::Key {
                    class: KeyClass::Enter,
                    raw: None,
                },
            );
            self.form(FormAction::Submit, "search", None, 5, 50);
        } else {
            self.form(FormAction::Abandon, "search", None, 1_000, 10_000);
        }
    }

    /// The newsletter form: a signup (a custom event) or an abandoned form.
    pub(super) fn newsletter(&mut self) {
        self.type_in("newsletter", "email", (500, 3_000), (10, 24), false);
        self.form(FormAction::Change, "newsletter", Some("email"), 50, 300);
        if self.rng.chance(0.6) {
            self.form(FormAction::Submit, "newsletter", None, 300, 1_500);
            let ev = EventData::Custom {
                name: "newsletter_signup".to_owned(),
                props: Some(r#"{"list":"weekly"}"#.to_owned()),
            };
            self.push_in(100, 600, ev);
        } else {
            self.form(FormAction::Abandon, "newsletter", None, 2_000, 20_000);
        }
    }

    /// The 75-second lookbook video: played, then paused or watched to the end.
    pub(super) fn media(&mut self) {
        let src = self.cat.media.clone();
        let ev = EventData::Media {
            action: MediaAction::Play,
            src,
            position_ms: Some(0),
        };
        self.push_in(500, 5_000, ev);
        let watched = self.rng.range(3_000, 90_000);
        let (action, position) = if watched > 75_000 {
            (MediaAction::Ended, 75_000)
        } else {
            (MediaAction::Pause, watched)
        };
        let src = self.cat.media.clone();
        let ev = EventData::Media {
            action,
            src,
            position_ms: Some(position),
        };
        self.push(watched.min(75_000), ev);
    }
}
