import Foundation

/// A small self-contained HTML report of a `ModelEvaluation`: the metrics table, and for
/// a binary label the ROC curve and the calibration (reliability) diagram as inline SVG.
public enum EvaluationReport {
    /// The report as an HTML document.
    public static func html(_ evaluation: ModelEvaluation, title: String) -> String {
        var body = "<h1>\(escape(title))</h1>\n<pre>\(escape(evaluation.table()))</pre>\n"
        if let roc = evaluation.roc {
            let points = zip(roc.falsePositiveRates, roc.truePositiveRates).map { ($0, $1) }
            let auroc = evaluation.binary?.auroc.formatted(decimals: 3) ?? ""
            body += "<h2>ROC curve (AUROC \(escape(auroc)))</h2>\n"
            body += svgPlot(series: [(points, "#1f77b4")], diagonal: true,
                            xLabel: "false positive rate", yLabel: "true positive rate")
        }
        if let bins = evaluation.binary?.calibrationBins {
            let points = bins.compactMap { bin -> (Double, Double)? in
                guard bin.count > 0 else { return nil }
                return (bin.scoreSum / Double(bin.count), Double(bin.positiveCount) / Double(bin.count))
            }
            let ece = evaluation.binary?.expectedCalibrationError.formatted(decimals: 3) ?? ""
            body += "<h2>Calibration (ECE \(escape(ece)), \(bins.count) equal-width bins)</h2>\n"
            body += svgPlot(series: [(points, "#d62728")], diagonal: true, markers: true,
                            xLabel: "mean predicted probability", yLabel: "observed frequency")
        }
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>body{font-family:sans-serif;max-width:760px;margin:2em auto}pre{background:#f6f6f6;padding:1em}</style>
            </head><body>
            \(body)</body></html>

            """
    }

    /// A unit-square line plot (both axes 0…1) as SVG.
    static func svgPlot(
        series: [([(Double, Double)], String)], diagonal: Bool, markers: Bool = false, xLabel: String, yLabel: String
    ) -> String {
        let size = 360.0, margin = 50.0
        func x(_ v: Double) -> String { String(format: "%.1f", margin + v * size) }
        func y(_ v: Double) -> String { String(format: "%.1f", margin + (1 - v) * size) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(size + 2 * margin))\" height=\"\(Int(size + 2 * margin))\">\n"
        svg += "<rect x=\"\(margin)\" y=\"\(margin)\" width=\"\(size)\" height=\"\(size)\" fill=\"none\" stroke=\"#888\"/>\n"
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += "<text x=\"\(x(tick))\" y=\"\(size + margin + 16)\" font-size=\"11\" text-anchor=\"middle\">\(tick)</text>"
            svg += "<text x=\"\(margin - 6)\" y=\"\(y(tick))\" font-size=\"11\" text-anchor=\"end\">\(tick)</text>\n"
        }
        if diagonal {
            svg += "<line x1=\"\(x(0))\" y1=\"\(y(0))\" x2=\"\(x(1))\" y2=\"\(y(1))\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>\n"
        }
        for (points, color) in series where !points.isEmpty {
            let path = points.map { "\(x($0.0)),\(y($0.1))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            if markers {
                for point in points { svg += "<circle cx=\"\(x(point.0))\" cy=\"\(y(point.1))\" r=\"3\" fill=\"\(color)\"/>" }
                svg += "\n"
            }
        }
        svg += "<text x=\"\(margin + size / 2)\" y=\"\(size + margin + 36)\" font-size=\"12\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text x=\"14\" y=\"\(margin + size / 2)\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(margin + size / 2))\">\(escape(yLabel))</text>\n"
        return svg + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
