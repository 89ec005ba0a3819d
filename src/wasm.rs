//! The browser binding: the extension's background loads the packed rule file once, builds a
//! `Detector`, and asks it about batches of messages. Nothing here keeps conversation state: the
//! content script sends each conversation's recent messages with every request, because the
//! background (an MV3 service worker) may be stopped and restarted at any time.
//!
//! Offsets given to JavaScript are UTF-16 code units, the unit of JS strings.
//!
//! Built without the `compile` feature (the extension's `engine/`), it only loads packed rules;
//! with it (`compiler/`, loaded only for custom packs and the options page's check) it also
//! compiles TOML packs: `withCustomPacks` and `check`.

#[cfg(feature = "compile")]
use crate::check::check_compiled;
use crate::engine::{self, Hit, Message, Verdict};
use crate::policy::Level;
#[cfg(feature = "compile")]
use crate::rules::{Problem, RuleSet};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct Detector {
    inner: engine::Detector,
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

#[cfg(feature = "compile")]
fn problems_text(problems: &[Problem]) -> String {
    problems.iter().filter(|p| p.is_error()).map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
}

fn unpack(pack: &[u8]) -> Result<engine::Detector, JsError> {
    engine::Detector::from_packed(pack).map_err(|e| JsError::new(&e))
}

#[cfg(feature = "compile")]
/// The packed rules as a rule set, to compile again with custom packs.
fn unpack_rule_set(pack: &[u8]) -> Result<RuleSet, JsError> {
    unpack(pack)?.into_rules().map_err(|e| JsError::new(&e))
}

/// A byte offset in `text` as a UTF-16 offset.
fn utf16_offset(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].encode_utf16().count()
}

fn hits_to_utf16(hits: &mut [Hit], texts: &[&str]) {
    for h in hits {
        let text = texts.get(h.message.unwrap_or(0)).copied().unwrap_or("");
        h.start = utf16_offset(text, h.start);
        h.end = utf16_offset(text, h.end);
    }
}

#[cfg(feature = "compile")]
#[derive(Serialize)]
struct CheckResult {
    ok: bool,
    problems: Vec<Problem>,
}

#[derive(Serialize)]
struct RuleInfo<'a> {
    id: &'a str,
    category: &'a str,
    weight: u32,
    description: &'a str,
    source: &'a str,
    languages: &'a [String],
    testing: bool,
}

#[wasm_bindgen]
impl Detector {
    /// Loads the detector from the packed rule file (`extortion-guard pack`, the bytes of
    /// pack.bin): already compiled, so this is quick.
    #[wasm_bindgen(constructor)]
    pub fn new(pack: &[u8]) -> Result<Detector, JsError> {
        Ok(Detector { inner: unpack(pack)? })
    }

    #[cfg(feature = "compile")]
    /// Builds a detector from the packed rules plus custom packs: `[{name, text}]` TOML files.
    /// Throws with every problem (file, line, rule) when a custom pack is broken.
    #[wasm_bindgen(js_name = withCustomPacks)]
    pub fn with_custom_packs(pack: &[u8], packs: JsValue) -> Result<Detector, JsError> {
        let set = unpack_rule_set(pack)?;
        let packs = custom_packs(packs)?;
        let (set, _) = set.with_packs(&packs).map_err(|p| JsError::new(&problems_text(&p)))?;
        let (inner, _) = engine::Detector::new(set).map_err(|p| JsError::new(&problems_text(&p)))?;
        Ok(Detector { inner })
    }

    #[cfg(feature = "compile")]
    /// Checks a custom pack the way `extortion-guard rules check` does, against the packed rules
    /// (so ids must not collide with them): `{ok, problems: [{file, line, rule, severity, message}]}`.
    pub fn check(pack: &[u8], file_name: &str, toml_text: &str) -> Result<JsValue, JsError> {
        let set = unpack_rule_set(pack)?;
        let builtin = set.rules.len();
        let mut problems = Vec::new();
        match set.with_packs(&[(file_name.to_string(), toml_text.to_string())]) {
            Err(p) => problems = p,
            Ok((set, warnings)) => {
                problems.extend(warnings);
                match engine::Detector::new(set) {
                    Err(p) => problems.extend(p),
                    Ok((detector, warnings)) => {
                        problems.extend(warnings);
                        // The built-in rules were checked at build time and are packed without their
                        // examples: keep what is said about the custom pack's rules and vocabularies.
                        let custom: Vec<&str> = detector.rules().rules.iter().skip(builtin).map(|r| r.id.as_str()).collect();
                        problems.extend(check_compiled(&detector).into_iter().filter(|p| match &p.rule {
                            Some(id) => custom.contains(&id.as_str()),
                            None => p.file == file_name,
                        }));
                    }
                }
            }
        }
        let ok = !problems.iter().any(Problem::is_error);
        to_js(&CheckResult { ok, problems })
    }

    /// The verdict for one message: `{warn, level, score, categories, hits: [{rule, category, start, end, text}]}`.
    #[wasm_bindgen(js_name = scanMessage)]
    pub fn scan_message(&self, text: &str) -> Result<JsValue, JsError> {
        let mut v = self.inner.scan(text);
        hits_to_utf16(&mut v.hits, &[text]);
        to_js(&v)
    }

    /// `messages`: `[{text, time?}]`, a conversation's incoming messages, oldest first.
    /// Returns `{message, conversation}`; the conversation's hits carry `message` (an index).
    #[wasm_bindgen(js_name = assessConversation)]
    pub fn assess_conversation(&self, messages: JsValue) -> Result<JsValue, JsError> {
        let messages: Vec<Message> = serde_wasm_bindgen::from_value(messages).map_err(|e| JsError::new(&format!("messages must be [{{text, time?}}]: {e}")))?;
        let mut verdict = self.inner.assess(&messages);
        let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
        let newest = texts.len().saturating_sub(1);
        hits_to_utf16(&mut verdict.message.hits, &texts[newest..]);
        hits_to_utf16(&mut verdict.conversation.hits, &texts);
        to_js(&verdict)
    }

    /// `messages` as for `assessConversation`; `evaluate`: indexes of the messages to judge, each as
    /// the newest with the window before it. Every message is scanned once. Returns one
    /// `{message, conversation}` per index; conversation hits carry `message`, an index into
    /// `messages`.
    #[wasm_bindgen(js_name = assessEach)]
    pub fn assess_each(&self, messages: JsValue, evaluate: Vec<u32>) -> Result<JsValue, JsError> {
        let messages: Vec<Message> = serde_wasm_bindgen::from_value(messages).map_err(|e| JsError::new(&format!("messages must be [{{text, time?}}]: {e}")))?;
        let evaluate: Vec<usize> = evaluate.into_iter().map(|i| i as usize).filter(|&i| i < messages.len()).collect();
        let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
        let mut verdicts = self.inner.assess_each(&messages, &evaluate);
        for (v, &i) in verdicts.iter_mut().zip(&evaluate) {
            hits_to_utf16(&mut v.message.hits, &texts[i..=i]);
            hits_to_utf16(&mut v.conversation.hits, &texts);
        }
        to_js(&verdicts)
    }

    /// Re-judges a level against a warning threshold (the user's sensitivity): true when it warns.
    #[wasm_bindgen(js_name = warnsAt)]
    pub fn warns_at(&self, level: &str, warn_from: &str) -> bool {
        let (Some(level), Some(from)) = (Level::parse(level), Level::parse(warn_from)) else {
            return false;
        };
        let v = Verdict { level, ..Verdict::default() };
        self.inner.with_warn_from(v, from).warn
    }

    /// The plain-words label of a category, for the warning's "why".
    #[wasm_bindgen(js_name = categoryLabel)]
    pub fn category_label(&self, category: &str) -> String {
        self.inner.policy().categories.get(category).map(|c| c.label.clone()).unwrap_or_else(|| category.to_string())
    }

    /// Compiles one more pattern ahead of need (a few ms; the longest, the set of patterns without
    /// a literal, a few tens). The background calls it while idle after a wake, until it returns
    /// false, so that no message waits for a first compile.
    #[wasm_bindgen(js_name = warmUpStep)]
    pub fn warm_up_step(&self) -> bool {
        self.inner.warm_up_step()
    }

    /// How many recent incoming messages of a conversation the policy judges together.
    #[wasm_bindgen(getter, js_name = windowMessages)]
    pub fn window_messages(&self) -> usize {
        self.inner.policy().window.messages
    }

    #[wasm_bindgen(getter, js_name = warnFrom)]
    pub fn warn_from(&self) -> String {
        self.inner.policy().warn_from.to_string()
    }

    /// Every rule: `[{id, category, weight, description, source, languages, testing}]`.
    pub fn rules(&self) -> Result<JsValue, JsError> {
        let infos: Vec<RuleInfo> = self
            .inner
            .rules()
            .rules
            .iter()
            .map(|r| RuleInfo { id: &r.id, category: &r.category, weight: r.weight, description: &r.description, source: &r.source, languages: &r.languages, testing: r.testing })
            .collect();
        to_js(&infos)
    }
}

#[cfg(feature = "compile")]
#[derive(serde::Deserialize)]
struct CustomPack {
    name: String,
    text: String,
}

#[cfg(feature = "compile")]
fn custom_packs(packs: JsValue) -> Result<Vec<(String, String)>, JsError> {
    if packs.is_undefined() || packs.is_null() {
        return Ok(Vec::new());
    }
    let packs: Vec<CustomPack> = serde_wasm_bindgen::from_value(packs).map_err(|e| JsError::new(&format!("custom packs must be [{{name, text}}]: {e}")))?;
    Ok(packs.into_iter().map(|p| (p.name, p.text)).collect())
}
