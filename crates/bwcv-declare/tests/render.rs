//! Rendering: the headings of the forms, numbered fields, escaping.

use bwcv_declare::render::{RenderFormat, escape_markdown, render};
use bwcv_declare::{Submission, demo};

fn arcadia_2022() -> Submission {
    demo::generate(1)
        .submissions
        .into_iter()
        .find(|s| s.state_party.as_str() == "XAR" && s.reporting_year == 2022)
        .expect("demo has XAR 2022")
}

const HEADINGS: &[&str] = &[
    "Form 0: Declaration form on Nothing to Declare or Nothing New to Declare",
    "Form A, part 1: Exchange of data on research centres and laboratories",
    "Form A, part 2 (i)",
    "Form A, part 2 (ii)",
    "Form A, part 2 (iii): National biological defence research and development programmes: facilities",
    "Form B: Information on outbreaks of infectious diseases",
    "Form C: Encouragement of publication of results",
    "Form E: Declaration of legislation, regulations and other measures",
    "Form F: Declaration of past activities in offensive and/or defensive biological research and development programmes",
    "Form G: Declaration of vaccine production facilities",
];

#[test]
fn html_has_every_form_and_no_script() {
    let html = render(&arcadia_2022(), RenderFormat::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<style>"));
    assert!(!html.to_lowercase().contains("<script"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "self-contained"
    );
    for heading in HEADINGS {
        assert!(html.contains(heading), "missing {heading}");
    }
    for text in [
        "Year of last declaration if nothing new to declare",
        "BL4 (m²)",
        "Total laboratory floor area (m²)",
        "(ii) Military",
        "Administrative and support staff",
        "Time of cognizance of the outbreak",
        "Amended since last year",
        "Arcadia Institute for Biodefence Research",
        "XAR-F0001",
        "Declared in accordance with Form A, part 2 (iii)",
        "@media print",
    ] {
        assert!(html.contains(text), "missing {text}");
    }
}

#[test]
fn markdown_has_every_form() {
    let md = render(&arcadia_2022(), RenderFormat::Markdown);
    assert!(md.starts_with("# Confidence-Building Measures return of XAR for 2022"));
    for heading in HEADINGS {
        let escaped = escape_markdown(heading);
        assert!(md.contains(&escaped), "missing {heading}");
    }
    assert!(md.contains("| No. | Question | Answer |"));
}

#[test]
fn text_from_the_return_is_escaped() {
    let mut submission = arcadia_2022();
    let hostile = "<script>alert('x')</script> & \"quotes\" | pipes *stars*\nnew line";
    submission.forms.g.as_mut().expect("G").facilities[0].name = hostile.into();
    let html = render(&submission, RenderFormat::Html);
    assert!(!html.contains("<script>"));
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;")
    );
    let md = render(&submission, RenderFormat::Markdown);
    assert!(!md.contains("<script>"));
    assert!(md.contains("&lt;script&gt;"));
    assert!(md.contains("\\| pipes \\*stars\\* new line"));
}

#[test]
fn absent_forms_say_what_form_0_says() {
    let world = demo::generate(1);
    let lilliput = world
        .submissions
        .iter()
        .find(|s| s.state_party.as_str() == "XLI" && s.reporting_year == 2022)
        .expect("XLI 2022");
    let html = render(lilliput, RenderFormat::Html);
    assert!(html.contains("Nothing new to declare since 2021 (Form 0)."));
    assert!(html.contains("Nothing to declare (Form 0)."));
    assert!(html.contains("Part 1 (ii)") || html.contains("Nothing new"));
}
