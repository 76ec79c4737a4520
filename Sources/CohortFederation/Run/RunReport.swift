import CohortLearn
import Foundation

/// The run report: loss, metric and ε per round as SVG line plots, and per-site metrics.
enum RunReport {
    static func html(_ result: RoundEngine.Result, summary: RunSummary) -> String {
        let history = result.history
        func series(_ value: (RoundRecord) -> Double?) -> [(Double, Double)] {
            history.compactMap { record in value(record).map { (Double(record.round), $0) } }
        }
        var body = "<h1>Federated run</h1>\n<p>\(escape("\(summary.rounds) rounds; \(summary.privacy ?? "no differential privacy")"))</p>\n"
        if let stopped = summary.stoppedEarly { body += "<p><b>\(escape(stopped))</b></p>\n" }
        body += "<p>Released outside ε: \(escape(summary.releasedOutsideEpsilon.joined(separator: "; ")))</p>\n"
        body += plot("training loss (mean over answering sites)", series { $0.trainingLoss })
        body += plot("pooled holdout loss", series { $0.evaluationLoss })
        body += plot("pooled AUROC", series { $0.auroc })
        body += plot("pooled accuracy", series { $0.accuracy })
        body += plot("pooled macro-F1", series { $0.macroF1 })
        // The plan's other metrics (the ones above, and log-loss as the holdout loss, are plotted already).
        let plotted: Set<Plan.Evaluation.Metric> = [.auroc, .accuracy, .macroF1, .logLoss]
        let requested = Set(history.flatMap { $0.requestedMetrics.map(\.metric) })
        for metric in Plan.Evaluation.Metric.allCases where requested.contains(metric) && !plotted.contains(metric) {
            body += plot("pooled \(metric.label)", series { $0.metrics[metric.rawValue] })
        }
        let epsilonNames = Set(history.flatMap { $0.epsilon.keys }).sorted()
        for name in epsilonNames { body += plot("ε (\(name))", series { $0.epsilon[name] }) }
        if let last = history.last(where: { !$0.requestedMetrics.isEmpty }) {
            body += "<h2>Pooled holdout metrics, round \(last.round)</h2>\n<table><tr><th>metric</th><th>value</th></tr>\n"
            for entry in last.requestedMetrics {
                let value = entry.value.map { String(format: "%.4f", $0) } ?? "undefined (\(entry.undefinedReason ?? "no reason given"))"
                body += "<tr><td>\(escape(entry.metric.label))</td><td>\(escape(value))</td></tr>\n"
            }
            body += "</table>\n<p>Threshold metrics at 0.5; AUROC, AUPRC, Brier and ECE from the sites' merged score histograms.</p>\n"
        }
        if let last = history.last(where: { $0.perSite != nil }), let perSite = last.perSite {
            // The requested metrics as columns (accuracy and AUROC for records without them).
            let requested = last.requestedMetrics.map(\.metric)
            let columns: [(name: String, label: String)] = requested.isEmpty
                ? [("accuracy", "accuracy"), ("auroc", "AUROC")] : requested.map { ($0.rawValue, $0.label) }
            body += "<h2>Per-site holdout metrics, round \(last.round)</h2>\n<table><tr><th>site</th><th>records</th>"
                + columns.map { "<th>\(escape($0.label))</th>" }.joined() + "</tr>\n"
            for (site, metrics) in perSite.sorted(by: { $0.key < $1.key }) {
                let values = columns.map { column -> String in
                    let value = metrics.metrics?[column.name]
                        ?? (column.name == "accuracy" ? metrics.accuracy : column.name == "auroc" ? metrics.auroc : nil)
                    return "<td>" + (value.map { String(format: "%.4f", $0) } ?? "undefined") + "</td>"
                }
                body += "<tr><td>\(escape(site))</td><td>\(metrics.records)</td>" + values.joined() + "</tr>\n"
            }
            body += "</table>\n<p>Sites with fewer holdout records than the plan's minimum are not listed.</p>\n"
        }
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>Cohort run</title>
            <style>body{font-family:sans-serif;max-width:820px;margin:2em auto}td,th{padding:2px 10px;text-align:right}</style>
            </head><body>
            \(body)</body></html>

            """
    }

    /// A line plot of (round, value) points, axes scaled to the data.
    static func plot(_ title: String, _ points: [(Double, Double)]) -> String {
        guard points.count >= 1 else { return "" }
        let width = 640.0, height = 220.0, margin = 48.0
        let xs = points.map(\.0), ys = points.map(\.1)
        let (x0, x1) = (xs.min() ?? 0, max(xs.max() ?? 1, (xs.min() ?? 0) + 1))
        var (y0, y1) = (ys.min() ?? 0, ys.max() ?? 1)
        if y1 - y0 < 1e-12 { y0 -= 0.5; y1 += 0.5 }
        func x(_ v: Double) -> Double { margin + (v - x0) / (x1 - x0) * (width - 2 * margin) }
        func y(_ v: Double) -> Double { height - margin + (y0 - v) / (y1 - y0) * (height - 2 * margin) }
        let path = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
        return """
            <h2>\(escape(title))</h2>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))">
            <rect x="\(margin)" y="\(margin)" width="\(width - 2 * margin)" height="\(height - 2 * margin)" fill="none" stroke="#888"/>
            <polyline points="\(path)" fill="none" stroke="#1f77b4" stroke-width="2"/>
            <text x="\(margin)" y="\(height - margin + 16)" font-size="11">round \(Int(x0))</text>
            <text x="\(width - margin)" y="\(height - margin + 16)" font-size="11" text-anchor="end">round \(Int(x1))</text>
            <text x="\(margin - 4)" y="\(margin + 4)" font-size="11" text-anchor="end">\(String(format: "%.4g", y1))</text>
            <text x="\(margin - 4)" y="\(height - margin)" font-size="11" text-anchor="end">\(String(format: "%.4g", y0))</text>
            </svg>

            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
