//! `extortion-guard`: the volunteers' command line. Scan messages, check rule packs, measure them
//! on labelled corpora, and write the single rule file the extension loads.

use clap::{Parser, Subcommand, ValueEnum};
use extortion_guard::check::check;
use extortion_guard::engine::{Detector, Hit, Verdict};
use extortion_guard::eval::{evaluate, read_corpus, render};
use extortion_guard::rules::{load_path, Problem, RuleSet};
use extortion_guard::stream::Stream;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "extortion-guard", version, about = "Detects sextortion scripts in chat messages")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan messages and print the verdict, the matched phrases and the rules that fired.
    Scan {
        /// A rules folder or a single pack file.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Read JSON lines on stdin ({"id", "text", "conversation"?, "time"?}) and write one verdict line per input.
        #[arg(long)]
        jsonl: bool,
        /// Treat the TEXT arguments as one conversation, oldest first.
        #[arg(long)]
        conversation: bool,
        /// Messages to scan (stdin when none are given).
        text: Vec<String>,
    },
    /// Rule pack tools.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Measure the rules on labelled JSONL corpora ({"text", "label", "conversation"?, "lang"?}).
    Eval {
        #[arg(long)]
        rules: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// How many false alarms and misses to list.
        #[arg(long, default_value_t = 50)]
        max_listed: usize,
        #[arg(required = true)]
        corpus: Vec<PathBuf>,
    },
    /// Train the learned cue (rules/learned.toml) on labelled corpora: standalone lines only
    /// (a conversation's lines carry the conversation's label, not their own).
    Learn {
        /// Real benign chat: every 4th line trains, the others set the threshold.
        #[arg(long, required = true, num_args = 1..)]
        chat: Vec<PathBuf>,
        /// Share of the held-out chat lines the cue may fire on.
        #[arg(long, default_value_t = 0.001)]
        chat_rate: f64,
        /// How much a labelled benign line (a look-alike, a hard negative) counts against a chat line.
        #[arg(long, default_value_t = 20.0)]
        benign_weight: f32,
        /// How many of the strongest weights to keep.
        #[arg(long, default_value_t = 6000)]
        keep: usize,
        #[arg(short = 'o', long)]
        output: PathBuf,
        #[arg(required = true)]
        corpus: Vec<PathBuf>,
    },
    /// Write the compiled rule file the extension loads (pack.bin), or, for a `.json` output, the
    /// rule set as JSON (for tools).
    Pack {
        path: Option<PathBuf>,
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Compile and lint every pack and run every rule's examples.
    Check {
        path: Option<PathBuf>,
        /// Also print the readability budget: length of each rule's source (vocabularies excluded).
        #[arg(long)]
        stats: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan { rules, jsonl, conversation, text } => scan(rules, jsonl, conversation, text),
        Command::Rules { command: RulesCommand::Check { path, stats } } => rules_check(path, stats),
        Command::Eval { rules, format, max_listed, corpus } => eval(rules, format, max_listed, corpus),
        Command::Pack { path, output } => pack(path, output),
        Command::Learn { chat, chat_rate, benign_weight, keep, output, corpus } => learn(&chat, chat_rate, benign_weight, keep, &output, &corpus),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("extortion-guard: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `rules/` in the working directory, else the one this binary was built with.
fn rules_path(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let here = PathBuf::from("rules");
        if here.is_dir() {
            here
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
        }
    })
}

fn print_problems(problems: &[Problem]) {
    for p in problems {
        eprintln!("{p}");
    }
}

/// Loads and compiles the rules; any error is printed and stops the command.
fn load_detector(given: Option<PathBuf>) -> Result<Detector, String> {
    let path = rules_path(given);
    let (set, warnings) = load_path(&path).map_err(|p| {
        print_problems(&p);
        format!("the rules in {} have errors (run `extortion-guard rules check`)", path.display())
    })?;
    let _ = warnings;
    Detector::new(set).map(|(d, _)| d).map_err(|p| {
        print_problems(&p);
        format!("the rules in {} have errors (run `extortion-guard rules check`)", path.display())
    })
}

fn rules_check(path: Option<PathBuf>, stats: bool) -> Result<ExitCode, String> {
    let path = rules_path(path);
    let (detector, problems) = match load_path(&path) {
        Ok((set, warnings)) => check(set, warnings),
        Err(problems) => (None, problems),
    };
    print_problems(&problems);
    let errors = problems.iter().filter(|p| p.is_error()).count();
    let warnings = problems.len() - errors;
    match detector {
        Some(d) if errors == 0 => {
            let rules = &d.rules().rules;
            let examples: usize = rules.iter().map(|r| r.must_match.len() + r.must_not_match.len()).sum();
            let patterns: usize = rules.iter().map(|r| r.patterns.len()).sum();
            println!("ok: {} rules, {} vocabularies, {patterns} patterns, {examples} examples checked, {warnings} warnings", rules.len(), d.rules().vocabularies.len());
            if stats {
                print!("{}", extortion_guard::check::Readability::of(rules));
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            println!("{errors} errors, {warnings} warnings in {}", path.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn pack(path: Option<PathBuf>, output: PathBuf) -> Result<ExitCode, String> {
    let path = rules_path(path);
    let (set, problems) = match load_path(&path) {
        Ok((set, warnings)) => check(set, warnings),
        Err(problems) => (None, problems),
    };
    print_problems(&problems);
    let Some(detector) = set else {
        return Err(format!("not packing: the rules in {} have errors", path.display()));
    };
    let mut rules: RuleSet = detector.rules().clone();
    // The extension does not need the examples; the playground shows rules, not their tests.
    for r in &mut rules.rules {
        r.must_match.clear();
        r.must_not_match.clear();
    }
    for v in &mut rules.vocabularies {
        v.examples.clear();
        v.counterexamples.clear();
    }
    let count = rules.rules.len();
    // `.json` is the rule set for tools (the benchmark's JS peer); anything else the compiled
    // detector the extension loads.
    let bytes = if output.extension().is_some_and(|e| e == "json") {
        serde_json::to_string(&rules).map_err(|e| e.to_string())?.into_bytes()
    } else {
        let (packed, _) = Detector::new(rules).map_err(|p| format!("the rules without their examples do not compile: {}", p[0]))?;
        if let Some(p) = packed.compile_all().first() {
            return Err(format!("the rules do not compile: {p}"));
        }
        packed.to_packed()
    };
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&output, bytes).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    println!("wrote {} ({count} rules)", output.display());
    Ok(ExitCode::SUCCESS)
}

fn read_lines(paths: &[PathBuf]) -> Result<Vec<extortion_guard::eval::Line>, String> {
    let mut lines = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        lines.extend(read_corpus(&path.display().to_string(), &text)?);
    }
    Ok(lines)
}

fn learn(chat_files: &[PathBuf], chat_rate: f64, benign_weight: f32, keep: usize, output: &Path, corpus: &[PathBuf]) -> Result<ExitCode, String> {
    use extortion_guard::learn::{train, Example, Training};
    let labelled = read_lines(corpus)?;
    let chat = read_lines(chat_files)?;
    let standalone: Vec<_> = labelled.iter().filter(|l| l.item.conversation.is_none()).collect();
    let positives = standalone.iter().filter(|l| l.item.label == "extortion").count();
    let (train_chat, held_chat): (Vec<_>, Vec<_>) = chat.iter().enumerate().partition(|(i, _)| i % 4 == 0);
    let negatives = (standalone.len() - positives) as f32 * benign_weight + train_chat.len() as f32;
    if positives == 0 || held_chat.is_empty() {
        return Err("learn needs extortion lines in the corpora and at least a few chat lines".into());
    }
    // Balanced: all threats together weigh as much as all benign text together.
    let positive_weight = negatives / positives as f32;
    let mut examples: Vec<Example> = standalone
        .iter()
        .map(|l| {
            let extortion = l.item.label == "extortion";
            Example { text: &l.item.text, extortion, weight: if extortion { positive_weight } else { benign_weight } }
        })
        .collect();
    examples.extend(train_chat.iter().map(|(_, l)| Example { text: &l.item.text, extortion: false, weight: 1.0 }));
    let mut learned = train(&examples, &Training { keep, ..Training::default() });
    let mut held: Vec<f32> = held_chat.iter().map(|(_, l)| learned.read(&extortion_guard::normalize::normalize(&l.item.text).text).score).collect();
    held.sort_by(|a, b| a.total_cmp(b));
    let at = ((held.len() as f64) * (1.0 - chat_rate)).floor() as usize;
    learned.threshold = held[at.min(held.len() - 1)] + 1e-4;
    let files = |ps: &[PathBuf]| ps.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
    let mut trained_on = files(corpus);
    trained_on.extend(files(chat_files).into_iter().map(|f| format!("{f} (every 4th line)")));
    let measured = vec![format!("fires on {:.3} % of {} held-out chat lines", 100.0 * chat_rate, held.len())];
    std::fs::write(output, learned.to_toml(&trained_on, &measured)).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    println!(
        "wrote {}: {} weights from {} lines ({positives} extortion, {} labelled benign, {} chat), threshold {:.3}",
        output.display(),
        learned.weights.len(),
        examples.len(),
        standalone.len() - positives,
        train_chat.len(),
        learned.threshold
    );
    Ok(ExitCode::SUCCESS)
}

fn eval(rules: Option<PathBuf>, format: Format, max_listed: usize, corpus: Vec<PathBuf>) -> Result<ExitCode, String> {
    let detector = load_detector(rules)?;
    let lines = read_lines(&corpus)?;
    let report = evaluate(&detector, &lines);
    match format {
        Format::Text => print!("{}", render(&report, max_listed)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?),
    }
    Ok(ExitCode::SUCCESS)
}

fn scan(rules: Option<PathBuf>, jsonl: bool, conversation: bool, mut texts: Vec<String>) -> Result<ExitCode, String> {
    let detector = load_detector(rules)?;
    if jsonl {
        return scan_jsonl(&detector);
    }
    if texts.is_empty() {
        let mut input = Vec::new();
        std::io::stdin().read_to_end(&mut input).map_err(|e| e.to_string())?;
        texts.push(String::from_utf8_lossy(&input).into_owned());
    }
    let color = std::io::stdout().is_terminal();
    let mut stream = Stream::new(&detector);
    for (i, text) in texts.iter().enumerate() {
        let judged = stream.push(text, conversation.then_some("args"), None);
        print!("{}", describe(&detector, i + 1, text, &judged.verdict, &judged.scan.testing_hits, color));
    }
    Ok(ExitCode::SUCCESS)
}

/// A verdict as a person reads it: the message with matched phrases marked, then each rule.
fn describe(detector: &Detector, n: usize, text: &str, verdict: &Verdict, testing: &[Hit], color: bool) -> String {
    let (open, close) = if color { ("\x1b[1;31m", "\x1b[0m") } else { ("[[", "]]") };
    let mut marked = String::new();
    let mut at = 0;
    for h in &verdict.hits {
        if h.start < at {
            continue;
        }
        marked += &text[at..h.start];
        marked += open;
        marked += &text[h.start..h.end];
        marked += close;
        at = h.end;
    }
    marked += &text[at..];
    let mark = if verdict.warn { "WARN" } else { "ok" };
    let mut out = format!("#{n} {mark} level={} score={} categories=[{}]\n  {}\n", verdict.level, verdict.score, verdict.categories.join(", "), marked.trim_end());
    for h in verdict.hits.iter().chain(testing) {
        let rule = detector.rule(&h.rule);
        // The learned cue is not a rule: its category's label says what it is.
        let label = detector.policy().categories.get(&h.category).map(|c| c.label.as_str()).unwrap_or("");
        let description = rule.map(|r| r.description.as_str()).unwrap_or(label);
        let testing = if rule.is_some_and(|r| r.testing) { " (testing)" } else { "" };
        out += &format!("  - {} [{}] {:?} — {description}{testing}\n", h.rule, h.category, h.text);
    }
    out
}

/// `scan --jsonl`: the stream itself is `stream::scan_jsonl`, which the fuzz targets drive too.
fn scan_jsonl(detector: &Detector) -> Result<ExitCode, String> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    // Standard output is line-buffered: whoever feeds the stream line by line gets each answer as
    // soon as it is ready. Each problem is also told on standard error.
    let bad_lines = extortion_guard::stream::scan_jsonl(detector, stdin.lock(), stdout.lock(), |message| eprintln!("extortion-guard: {message}"))?;
    Ok(if bad_lines > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
