import CohortData
import Foundation
import Testing

/// Where the package's files are, found from this file's own path.
enum PackagePaths {
    /// The package root: the nearest folder above this file that holds `Package.swift`.
    static let root: URL = {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                return folder
            }
            folder.deleteLastPathComponent()
        }
        preconditionFailure("no Package.swift above \(#filePath)")
    }()

    /// The bundled datasets folder.
    static var datasets: URL { root.appendingPathComponent("Datasets") }
}

/// Parses CSV text that a test expects to be valid.
func table(_ text: String, file: String = "test.csv") throws -> CSVTable {
    try CSVTable(parsing: text, fileName: file)
}

/// The `DataError` that `body` throws, or a recorded failure.
func dataError(
    _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) -> DataError? {
    do {
        try body()
        Issue.record("expected a DataError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DataError {
        return error
    } catch {
        Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Population mean and standard deviation by the two-pass textbook method.
func naiveMeanAndStandardDeviation(_ values: [Double]) -> (mean: Double, standardDeviation: Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    return (mean, variance.squareRoot())
}

/// SplitMix64 (Steele, Lea and Flood, OOPSLA 2014): a small seeded generator for test inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
