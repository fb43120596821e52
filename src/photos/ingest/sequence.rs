//! Keyframes to students (docs/ingest.md), pure: frames arrive in capture order, each either a
//! keyframe (with who it names, or why it names nobody), a portrait with its photo, or an
//! unusable frame.
//!
//! - the frames after a keyframe, up to the next one, are its sequence;
//! - frames before the first keyframe (test shots) are unassigned;
//! - a keyframe that names nobody (revoked, unknown, tampered code; a slate of no check-in)
//!   makes its whole sequence unassigned, with its reason;
//! - the chosen frame of a sequence is its last, first or sharpest portrait;
//! - a student with two sequences gets the later one, unless it holds no usable portrait; the
//!   other is superseded.

use std::collections::HashMap;

/// Which portrait of a sequence becomes the photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    /// The photographer's last shot: the one they kept going until.
    #[default]
    Last,
    First,
    /// The highest focus measure (variance of the Laplacian).
    Sharpest,
}

/// How a keyframe named its student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyedBy {
    Code,
    Slate,
    /// A slate shot at an offline station, carrying only the scan's provisional label; the
    /// label was mapped to the shot the server gave at the sync (docs/slate.md "At ingest").
    SlateLabel,
}

/// Why a keyframe names nobody: a stable code for JSON and the message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

/// Who a keyframe names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Student { student: usize, by: KeyedBy },
    Refused(Refusal),
}

impl Key {
    /// The same student (by code or by slate alike), or the same refusal.
    fn same_as(&self, other: &Key) -> bool {
        match (self, other) {
            (Key::Student { student: a, .. }, Key::Student { student: b, .. }) => a == b,
            (a, b) => a == b,
        }
    }
}

/// A keyframe and the frames after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence<T> {
    pub keyframe: usize,
    pub key: Key,
    /// The same code or slate photographed again before any portrait.
    pub repeats: Vec<usize>,
    /// Every frame after the keyframe, usable or not.
    pub frames: Vec<usize>,
    /// The chosen portrait: its frame, and the photo.
    pub chosen: Option<(usize, T)>,
    best: f64,
}

impl<T> Sequence<T> {
    fn new(keyframe: usize, key: Key) -> Sequence<T> {
        Sequence {
            keyframe,
            key,
            repeats: Vec::new(),
            frames: Vec::new(),
            chosen: None,
            best: f64::NEG_INFINITY,
        }
    }
}

/// Cuts the frames into sequences as they arrive.
#[derive(Debug)]
pub struct Sequencer<T> {
    pick: Pick,
    current: Option<Sequence<T>>,
    /// Frames before the first keyframe.
    pub before_first: Vec<usize>,
}

impl<T> Sequencer<T> {
    pub fn new(pick: Pick) -> Sequencer<T> {
        Sequencer {
            pick,
            current: None,
            before_first: Vec::new(),
        }
    }

    /// A keyframe: closes the sequence before it (returned) and opens its own. The same key
    /// again before any frame (the photographer took the phone twice) is one keyframe.
    pub fn keyframe(&mut self, frame: usize, key: Key) -> Option<Sequence<T>> {
        if let Some(seq) = self.current.as_mut()
            && seq.key.same_as(&key)
            && seq.frames.is_empty()
        {
            seq.repeats.push(frame);
            return None;
        }
        self.current.replace(Sequence::new(frame, key))
    }

    /// A portrait frame with its photo and focus measure. Returns a photo it displaced (or did
    /// not take), for the caller to discard.
    pub fn portrait(&mut self, frame: usize, sharpness: f64, photo: T) -> Option<T> {
        let Some(seq) = self.current.as_mut() else {
            self.before_first.push(frame);
            return Some(photo);
        };
        seq.frames.push(frame);
        let take = match self.pick {
            Pick::Last => true,
            Pick::First => seq.chosen.is_none(),
            Pick::Sharpest => sharpness > seq.best,
        };
        if take {
            seq.best = sharpness;
            seq.chosen.replace((frame, photo)).map(|(_, old)| old)
        } else {
            Some(photo)
        }
    }

    /// A frame that cannot be used (it still belongs to the sequence it lies in).
    pub fn unusable(&mut self, frame: usize) {
        match self.current.as_mut() {
            Some(seq) => seq.frames.push(frame),
            None => self.before_first.push(frame),
        }
    }

    /// The last sequence.
    pub fn finish(self) -> Option<Sequence<T>> {
        self.current
    }
}

/// The sequences kept per student, the superseded ones and the refused ones.
#[derive(Debug)]
pub struct Book<T> {
    pub winners: HashMap<usize, Sequence<T>>,
    /// Earlier (or empty) sequences of students who have another one, photos dropped.
    pub superseded: Vec<Sequence<()>>,
    /// Sequences whose keyframe names nobody, photos dropped.
    pub refused: Vec<Sequence<()>>,
}

impl<T> Default for Book<T> {
    fn default() -> Self {
        Book {
            winners: HashMap::new(),
            superseded: Vec::new(),
            refused: Vec::new(),
        }
    }
}

fn without_photo<T>(s: Sequence<T>) -> (Sequence<()>, Option<T>) {
    let (chosen, photo) = match s.chosen {
        Some((f, p)) => (Some((f, ())), Some(p)),
        None => (None, None),
    };
    (
        Sequence {
            keyframe: s.keyframe,
            key: s.key,
            repeats: s.repeats,
            frames: s.frames,
            chosen,
            best: s.best,
        },
        photo,
    )
}

impl<T> Book<T> {
    /// Files a closed sequence; returns a photo that no longer counts (to discard).
    pub fn close(&mut self, seq: Sequence<T>) -> Option<T> {
        let student = match seq.key {
            Key::Student { student, .. } => student,
            Key::Refused(_) => {
                let (s, photo) = without_photo(seq);
                self.refused.push(s);
                return photo;
            }
        };
        match self.winners.remove(&student) {
            None => {
                self.winners.insert(student, seq);
                None
            }
            Some(old) => {
                let (keep, lose) = if seq.chosen.is_some() || old.chosen.is_none() {
                    (seq, old)
                } else {
                    (old, seq)
                };
                self.winners.insert(student, keep);
                let (s, photo) = without_photo(lose);
                self.superseded.push(s);
                photo
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn student(i: usize) -> Key {
        Key::Student {
            student: i,
            by: KeyedBy::Code,
        }
    }

    /// Runs frames through a sequencer and a book: `K<n>` keyframe of student n, `R` a refused
    /// keyframe, `P<s>` a portrait of sharpness s, `X` unusable.
    fn run(pick: Pick, frames: &[&str]) -> (Book<usize>, Vec<usize>, Vec<usize>) {
        let mut seq = Sequencer::new(pick);
        let mut book = Book::default();
        let mut dropped = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            let (kind, n) = f.split_at(1);
            match kind {
                "K" => {
                    if let Some(s) = seq.keyframe(i, student(n.parse().unwrap())) {
                        dropped.extend(book.close(s));
                    }
                }
                "R" => {
                    let key = Key::Refused(Refusal {
                        code: "revoked",
                        message: "revoked".into(),
                    });
                    if let Some(s) = seq.keyframe(i, key) {
                        dropped.extend(book.close(s));
                    }
                }
                "P" => dropped.extend(seq.portrait(i, n.parse().unwrap(), i)),
                _ => seq.unusable(i),
            }
        }
        let before = seq.before_first.clone();
        if let Some(s) = seq.finish() {
            dropped.extend(book.close(s));
        }
        (book, before, dropped)
    }

    fn chosen(book: &Book<usize>, student: usize) -> Option<usize> {
        book.winners[&student].chosen.as_ref().map(|c| c.0)
    }

    #[test]
    fn the_pick_chooses_within_a_sequence() {
        let frames = ["P1", "K1", "P5", "P9", "P2", "K2", "X"];
        let (book, before, _) = run(Pick::Last, &frames);
        assert_eq!(before, vec![0]);
        assert_eq!(chosen(&book, 1), Some(4));
        assert_eq!(book.winners[&1].frames, vec![2, 3, 4]);
        assert_eq!(chosen(&book, 2), None);
        assert_eq!(book.winners[&2].frames, vec![6]);
        assert_eq!(chosen(&run(Pick::First, &frames).0, 1), Some(2));
        assert_eq!(chosen(&run(Pick::Sharpest, &frames).0, 1), Some(3));
    }

    #[test]
    fn a_retake_supersedes_and_an_empty_retake_does_not() {
        let (book, _, dropped) = run(Pick::Last, &["K1", "P1", "K2", "P1", "K1", "P1", "P1"]);
        assert_eq!(chosen(&book, 1), Some(6));
        assert_eq!(book.superseded.len(), 1);
        assert_eq!(book.superseded[0].keyframe, 0);
        // The superseded photo and the displaced frame 5 are handed back.
        assert_eq!(dropped, vec![5, 1]);

        let (book, _, _) = run(Pick::Last, &["K1", "P1", "K1", "X"]);
        assert_eq!(chosen(&book, 1), Some(1));
        assert_eq!(book.superseded[0].keyframe, 2);

        // The same code twice in a row is one keyframe, not an empty sequence and a retake;
        // so is the student's code followed by their slate.
        let (book, _, _) = run(Pick::Last, &["K1", "K1", "P1"]);
        assert!(book.superseded.is_empty());
        assert_eq!(book.winners[&1].repeats, vec![1]);
        assert_eq!(chosen(&book, 1), Some(2));
        let mut seq: Sequencer<usize> = Sequencer::new(Pick::Last);
        assert!(seq.keyframe(0, student(4)).is_none());
        let slate = Key::Student {
            student: 4,
            by: KeyedBy::Slate,
        };
        assert!(seq.keyframe(1, slate).is_none());
        assert_eq!(seq.finish().unwrap().repeats, vec![1]);
    }

    #[test]
    fn a_refused_keyframe_takes_its_frames_with_it() {
        let (book, _, dropped) = run(Pick::Last, &["K1", "P1", "R", "P1", "P1", "K2", "P1"]);
        assert_eq!(book.refused.len(), 1);
        assert_eq!(book.refused[0].frames, vec![3, 4]);
        assert_eq!(chosen(&book, 1), Some(1));
        assert_eq!(chosen(&book, 2), Some(6));
        assert_eq!(dropped, vec![3, 4]);
    }
}
