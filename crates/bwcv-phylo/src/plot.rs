//! SVG plots: the root-to-tip regression (outliers marked) and the tree
//! drawn against calendar time. Plain SVG 1.1 text, no scripts.

use std::fmt::Write;

use crate::clock::ClockResult;
use crate::tree::Tree;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// About `count` round tick values covering `[lo, hi]`.
fn ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater)
        || !lo.is_finite()
        || !hi.is_finite()
    {
        return vec![lo];
    }
    let raw = (hi - lo) / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let mut out = Vec::new();
    let first = (lo / step).ceil();
    let mut k = 0.0;
    while (first + k) * step <= hi + step * 1e-9 {
        out.push((first + k) * step);
        k += 1.0;
    }
    out
}

fn fmt_tick(v: f64, step: f64) -> String {
    if v.abs() < step * 1e-9 {
        "0".to_string()
    } else if step >= 1.0 {
        format!("{v:.0}")
    } else if v != 0.0 && (v.abs() < 1e-2 || v.abs() >= 1e4) {
        format!("{v:.1e}")
    } else {
        let decimals = (-step.log10()).ceil().max(0.0) as usize;
        format!("{v:.decimals$}")
    }
}

/// Root-to-tip distance against sampling date, with the regression line
/// from the root date; set-aside tips in red.
pub fn root_to_tip_svg(result: &ClockResult) -> String {
    let (width, height) = (760.0, 500.0);
    let (left, right, top, bottom) = (80.0, 30.0, 50.0, 60.0);
    let points: Vec<(f64, f64, bool, &str)> = result
        .tips
        .iter()
        .filter_map(|t| {
            t.date
                .map(|d| (d.mean(), t.dist_to_root, t.outlier, t.name.as_str()))
        })
        .collect();
    let t_max = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let t_min_data = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let t_min = if result.root_date.is_finite() {
        result.root_date.min(t_min_data)
    } else {
        t_min_data
    };
    let span = (t_max - t_min).max(1e-6);
    let x_lo = t_min - 0.05 * span;
    let x_hi = t_max + 0.05 * span;
    let d_max = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-12);
    let y_hi = 1.1 * d_max;
    let sx = |t: f64| left + (t - x_lo) / (x_hi - x_lo) * (width - left - right);
    let sy = |d: f64| height - bottom - d / y_hi * (height - top - bottom);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{left}" y="22" font-size="15">Root-to-tip regression: rate {:.3e} subst/site/year, r² {:.3}, root date {:.2} ± {:.2}</text>"#,
        result.rate, result.r2, result.root_date, result.root_date_sd
    );
    let _ = writeln!(
        svg,
        r##"<text x="{left}" y="40" fill="#555">{} tips used, {} set aside by the clock filter (red)</text>"##,
        result.n_tips_used,
        result.outliers.len()
    );
    // axes
    let (x0, y0, x1, y1) = (left, height - bottom, width - right, top);
    let _ = writeln!(
        svg,
        r##"<path d="M{x0},{y1} V{y0} H{x1}" stroke="#000" fill="none"/>"##
    );
    let xt = ticks(x_lo, x_hi, 8);
    let xstep = if xt.len() > 1 { xt[1] - xt[0] } else { 1.0 };
    for t in &xt {
        let x = sx(*t);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{y0}" x2="{x:.1}" y2="{:.1}" stroke="#000"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            y0 + 5.0,
            y0 + 20.0,
            fmt_tick(*t, xstep)
        );
    }
    let yt = ticks(0.0, y_hi, 6);
    let ystep = if yt.len() > 1 { yt[1] - yt[0] } else { 1.0 };
    for d in &yt {
        let y = sy(*d);
        let _ = writeln!(
            svg,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{x0}" y2="{y:.1}" stroke="#000"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            x0 - 5.0,
            x0 - 8.0,
            y + 4.0,
            fmt_tick(*d, ystep)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">sampling date (year)</text>"#,
        (x0 + x1) / 2.0,
        height - 15.0
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(18,{:.1}) rotate(-90)" text-anchor="middle">root-to-tip distance (substitutions/site)</text>"#,
        (y0 + y1) / 2.0
    );
    // regression line from the root date to the last sample
    if result.rate.is_finite() && result.root_date.is_finite() {
        let t_start = result.root_date.max(x_lo);
        let d_start = result.rate * t_start + result.intercept;
        let d_end = result.rate * x_hi + result.intercept;
        let _ = writeln!(
            svg,
            r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#1f77b4" stroke-width="2"/>"##,
            sx(t_start),
            sy(d_start),
            sx(x_hi),
            sy(d_end)
        );
    }
    for (t, d, outlier, name) in &points {
        let colour = if *outlier { "#d62728" } else { "#2ca02c" };
        let _ = writeln!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{colour}" fill-opacity="0.8"><title>{} ({t:.3}, {d:.5})</title></circle>"#,
            sx(*t),
            sy(*d),
            if *outlier { 5.0 } else { 3.5 },
            escape(name)
        );
        if *outlier {
            let _ = writeln!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" fill="#d62728" font-size="10">{}</text>"##,
                sx(*t) + 7.0,
                sy(*d) + 3.0,
                escape(name)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// The (rerooted) tree with node positions in calendar time: the date of
/// a node is `root_date + distance_from_root / rate`.
pub fn dated_tree_svg(tree: &Tree, result: &ClockResult) -> String {
    let tips = tree.tips();
    let row = 14.0;
    let (left, right, top, bottom) = (30.0, 260.0, 50.0, 50.0);
    let width = 1000.0;
    let height = top + bottom + row * tips.len() as f64;
    let dist = tree.dist_to_root();
    let date = |id: usize| result.root_date + dist[id] / result.rate;
    let t_lo = result.root_date;
    let t_hi = tips.iter().map(|&id| date(id)).fold(t_lo, f64::max);
    let span = (t_hi - t_lo).max(1e-6);
    let x_lo = t_lo - 0.03 * span;
    let x_hi = t_hi + 0.03 * span;
    let sx = |t: f64| left + (t - x_lo) / (x_hi - x_lo) * (width - left - right);
    let mut y = vec![0.0; tree.nodes.len()];
    for (k, &id) in tips.iter().enumerate() {
        y[id] = top + row * (k as f64 + 0.5);
    }
    for id in tree.postorder() {
        let node = &tree.nodes[id];
        if !node.is_tip() {
            y[id] = node.children.iter().map(|&c| y[c]).sum::<f64>() / node.children.len() as f64;
        }
    }
    let outlier: std::collections::BTreeSet<&str> =
        result.outliers.iter().map(|o| o.name.as_str()).collect();
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0}" viewBox="0 0 {width} {height:.0}" font-family="sans-serif" font-size="10">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{left}" y="22" font-size="14">Tree in calendar time (root {:.2}, rate {:.3e} subst/site/year; strict-clock projection of the rerooted tree)</text>"#,
        result.root_date, result.rate
    );
    let axis_y = height - bottom + 10.0;
    let xt = ticks(x_lo, x_hi, 10);
    let xstep = if xt.len() > 1 { xt[1] - xt[0] } else { 1.0 };
    for t in &xt {
        let x = sx(*t);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{axis_y:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"##,
            axis_y + 14.0,
            fmt_tick(*t, xstep)
        );
    }
    for id in tree.preorder() {
        let node = &tree.nodes[id];
        if let Some(parent) = node.parent {
            let _ = writeln!(
                svg,
                r##"<path d="M{:.1},{:.1} H{:.1}" stroke="#333" fill="none"/>"##,
                sx(date(parent)),
                y[id],
                sx(date(id))
            );
        }
        if !node.is_tip() {
            let ys: Vec<f64> = node.children.iter().map(|&c| y[c]).collect();
            let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let x = sx(date(id));
            let _ = writeln!(
                svg,
                r##"<path d="M{x:.1},{lo:.1} V{hi:.1}" stroke="#333" fill="none"/>"##
            );
        } else {
            let name = node.name.as_deref().unwrap_or("");
            let colour = if outlier.contains(name) {
                "#d62728"
            } else {
                "#000"
            };
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" fill="{colour}">{}</text>"#,
                sx(date(id)) + 4.0,
                y[id] + 3.5,
                escape(name)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{self, ClockParams};
    use crate::dates::SampleDate;
    use crate::newick;

    #[test]
    fn plots_are_svg_with_every_tip() {
        let mut tree =
            newick::parse("((A:0.02,B:0.04):0.01,(C:0.05,'D<&>':0.03):0.02);").expect("valid");
        let dates = [
            ("A", 2002.0),
            ("B", 2004.0),
            ("C", 2006.0),
            ("D<&>", 2004.5),
        ]
        .iter()
        .map(|&(n, y)| (n.to_string(), SampleDate::Exact { year: y }))
        .collect();
        let result = clock::run(&mut tree, &dates, &ClockParams::default()).expect("clock");
        let rtt = root_to_tip_svg(&result);
        assert!(rtt.starts_with("<svg") && rtt.trim_end().ends_with("</svg>"));
        assert_eq!(rtt.matches("<circle").count(), 4);
        assert!(rtt.contains("D&lt;&amp;&gt;"));
        let dated = dated_tree_svg(&tree, &result);
        assert!(dated.contains("D&lt;&amp;&gt;") && dated.contains("</svg>"));
        let t = ticks(0.0, 1.0, 5);
        assert_eq!(t.len(), 6);
        assert!((t[3] - 0.6).abs() < 1e-12);
    }
}
