/// Plain-text two-column tables (name, value) for the command line.
///
/// ```
/// metric               value
/// -------------------  ----------------------------------
/// examples             4
/// AUROC                0.7500
/// sensitivity @ 0.5    undefined (no positive examples)
/// ```
enum MetricsTable {
    /// The rows laid out under a `metric  value` header, names padded to one width, each
    /// line ending in a newline.
    static func render(_ rows: [(name: String, value: String)]) -> String {
        let header = (name: "metric", value: "value")
        let nameWidth = ([header] + rows).map(\.name.count).max() ?? 0
        let valueWidth = ([header] + rows).map(\.value.count).max() ?? 0
        func line(_ name: String, _ value: String) -> String {
            name + String(repeating: " ", count: nameWidth - name.count) + "  " + value + "\n"
        }
        var text = line(header.name, header.value)
        text += line(String(repeating: "-", count: nameWidth), String(repeating: "-", count: valueWidth))
        for row in rows {
            text += line(row.name, row.value)
        }
        return text
    }

    /// A threshold as short text: `0.5`, `0.25`.
    static func threshold(_ t: Double) -> String { "\(t)" }
}
