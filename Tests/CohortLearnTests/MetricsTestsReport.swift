import Foundation
import Testing
@testable import CohortLearn

@Suite("Metrics reports: all metrics at once, JSON and a plain-text table")
struct MetricsReportTests {
    @Test("the binary report holds the same values as the individual functions")
    func binaryValues() {
        let p = BinaryPredictions(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1])
        let report = BinaryMetricsReport(p)
        #expect(report.exampleCount == 4 && report.positiveCount == 2 && report.negativeCount == 2)
        #expect(isValue(report.auroc, 0.75))
        #expect(isValue(report.averagePrecision, 5.0 / 6))
        // >= 0.5: only 0.8 (positive) → TP 1, FP 0, TN 2, FN 1
        #expect(report.confusionMatrix == BinaryConfusionMatrix(truePositives: 1, falsePositives: 0,
                                                                trueNegatives: 2, falseNegatives: 1))
        #expect(isValue(report.sensitivity, 0.5))
        #expect(isValue(report.positivePredictiveValue, 1))
        #expect(report.brierScore == p.brierScore())
        #expect(report.logLoss == p.logLoss())
        #expect(report.calibrationBins.count == 10)
        let floats: [Float] = [0.1, 0.4, 0.35, 0.8]
        #expect(BinaryMetricsReport(scores: floats, labels: [false, false, true, true])
                == BinaryMetricsReport(scores: floats.map(Double.init), labels: [0, 0, 1, 1]))
    }

    @Test("the binary report writes undefined metrics as null with a reason and reads them back")
    func binaryJSON() throws {
        let report = BinaryMetricsReport(scores: [0.2, 0.6, 0.9], labels: [1, 1, 1])
        #expect(report.auroc == .undefined(reason: .onlyOneClassPresent))
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let auroc = try #require(object["auroc"] as? [String: Any])
        #expect(auroc["value"] is NSNull)
        #expect(auroc["reason"] as? String == "only one class present")
        let sensitivity = try #require(object["sensitivity"] as? [String: Any])
        #expect((sensitivity["value"] as? Double).map { abs($0 - 2.0 / 3) < 1e-12 } == true)
        #expect(try JSONDecoder().decode(BinaryMetricsReport.self, from: data) == report)
    }

    @Test("the binary table aligns its columns and spells out undefined values")
    func binaryTable() {
        let table = BinaryMetricsReport(scores: [0.2, 0.6, 0.9], labels: [1, 1, 1]).table()
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("metric ") == true)
        #expect(lines.contains { $0.hasPrefix("AUROC ") && $0.hasSuffix("  undefined (only one class present)") })
        #expect(lines.contains { $0.hasPrefix("sensitivity @ 0.5 ") && $0.hasSuffix("  0.6667") })
        #expect(lines.contains { $0.hasPrefix("examples ") && $0.hasSuffix("  3") })
        // every value starts in the same column
        let valueColumn = (lines.first?.count ?? 0) - "value".count
        for line in lines.dropFirst(2) {
            let index = line.index(line.startIndex, offsetBy: valueColumn)
            #expect(line[line.index(before: index)] == " " && line[index] != " ")
        }
    }

    @Test("the multi-class report has per-class rows and round-trips through JSON")
    func multiclass() throws {
        let p = MulticlassPredictions(
            probabilities: [[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.2, 0.7, 0.1]], labels: [0, 0, 1])
        let report = MulticlassMetricsReport(p)
        #expect(isValue(report.accuracy, 2.0 / 3))
        #expect(report.balancedAccuracy == .undefined(reason: .classAbsentFromLabels))
        #expect(report.perClass.map(\.support) == [2, 1, 0])
        #expect(isValue(report.perClass[1].precision, 0.5))  // class 1 predicted twice, right once
        #expect(report.perClass[2].recall == .undefined(reason: .classAbsentFromLabels))
        let table = report.table()
        #expect(table.contains("balanced accuracy"))
        #expect(table.contains("undefined (a class has no examples)"))
        #expect(table.contains("class 2 F1"))
        let data = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(MulticlassMetricsReport.self, from: data) == report)
    }

    @Test("an empty evaluation set gives a report of undefined metrics, not a crash")
    func empty() {
        let binary = BinaryMetricsReport(scores: [Double](), labels: [Int]())
        #expect(binary.namedValues.allSatisfy { $0.value == .undefined(reason: .emptyInput) })
        let multi = MulticlassMetricsReport(MulticlassPredictions(probabilities: [[Double]](), labels: [], classCount: 2))
        #expect(multi.namedValues.allSatisfy { $0.value == .undefined(reason: .emptyInput) })
        #expect(multi.perClass.allSatisfy { $0.f1 == .undefined(reason: .emptyInput) })
        #expect(binary.table().contains("undefined (no examples)"))
    }
}
