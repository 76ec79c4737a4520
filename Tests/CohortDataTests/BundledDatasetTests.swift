import CohortData
import Foundation
import Testing

/// The figures PROVENANCE.md gives for each bundled file.
struct BundledDataset: Sendable, CustomStringConvertible {
    var file: String
    var rows: Int
    var columns: Int
    var label: String
    var classCounts: [String: Int]
    var emptyCells: Int
    var sha256: String

    var description: String { file }
    var url: URL { PackagePaths.datasets.appendingPathComponent(file) }

    static let all = [
        BundledDataset(
            file: "fetal_health.csv", rows: 2126, columns: 22, label: "fetal_health",
            classCounts: ["1": 1655, "2": 295, "3": 176], emptyCells: 0,
            sha256: "2a71f8e19690a7cf2486d7eafe8367cd8747f085b8bd7e804fbb79a8550659d2"),
        BundledDataset(
            file: "breast_cancer_wdbc.csv", rows: 569, columns: 31, label: "malignant",
            classCounts: ["1": 212, "0": 357], emptyCells: 0,
            sha256: "24e220f06a0844385ea0e0f551c2ee1f9725e248e1dd662fafca95e0c7d1a0bf"),
        BundledDataset(
            file: "digits.csv", rows: 1797, columns: 65, label: "digit",
            classCounts: ["0": 178, "1": 182, "2": 177, "3": 183, "4": 181, "5": 182, "6": 181, "7": 179, "8": 174, "9": 180],
            emptyCells: 0,
            sha256: "592cc047d0a1cc7fdef9fd724514209dcb45a80aa147dc3ab375e3e1a9a380f4"),
        BundledDataset(
            file: "maternal_health_risk.csv", rows: 1014, columns: 7, label: "risk_level",
            classCounts: ["0": 406, "1": 336, "2": 272], emptyCells: 0,
            sha256: "2f989556e18c86c0577b10a010b662b7578e32df39e1a76e1e43a28cafb77321"),
        BundledDataset(
            file: "bone_marrow_children.csv", rows: 187, columns: 52, label: "survival_status",
            classCounts: ["0": 102, "1": 85], emptyCells: 84,
            sha256: "2d9b8d270bbc2d5e35b3272a19ce60b4d993912d7bc9d99eeb610e98456c579e"),
    ]
}

@Suite("Bundled datasets")
struct BundledDatasetTests {
    @Test("each bundled file loads with its schema file and matches PROVENANCE.md's figures", arguments: BundledDataset.all)
    func matchesProvenance(dataset: BundledDataset) throws {
        let csv = try CSVTable(contentsOf: dataset.url)
        #expect(csv.rowCount == dataset.rows)
        #expect(csv.columnCount == dataset.columns)
        #expect(csv.columnNames.last == dataset.label)
        let empty = (0..<csv.columnCount).reduce(0) { total, column in
            total + (0..<csv.rowCount).filter { csv.isMissing(row: $0, column: column) }.count
        }
        #expect(empty == dataset.emptyCells)

        let schema = try Schema(contentsOf: Schema.companionURL(forCSV: dataset.url))
        #expect(schema.label.name == dataset.label)
        #expect(Set(schema.label.classes) == Set(dataset.classCounts.keys))
        let validated = try schema.validate(csv)
        let counts = Dictionary(uniqueKeysWithValues: zip(schema.label.classes, validated.classCounts))
        #expect(counts == dataset.classCounts)
    }

    @Test("each bundled file loads as a stratified dataset whose parts add up", arguments: BundledDataset.all)
    func loadsAsDataset(dataset: BundledDataset) throws {
        let data = try Dataset(contentsOf: dataset.url, seed: 7)
        let parts = [data.train, data.validation, data.test]
        #expect(parts.map(\.rowCount).reduce(0, +) == dataset.rows)
        #expect(abs(Double(data.train.rowCount) - 0.7 * Double(dataset.rows)) <= 1)
        for part in parts {
            #expect(part.features.shape == [part.rowCount, data.featureNames.count])
            #expect(part.features.scalars.allSatisfy { $0.isFinite })
        }
        // Stratification: the training part's class shares are within 1 % of the file's.
        for (index, name) in data.classes.enumerated() {
            let share = Double(dataset.classCounts[name] ?? 0) / Double(dataset.rows)
            let trainShare = Double(data.train.classCounts[index]) / Double(data.train.rowCount)
            #expect(abs(share - trainShare) < 0.01, "\(name)")
        }
    }

    @Test("loading is deterministic per seed, and inferring the schema gives the bundled one")
    func determinism() throws {
        let url = PackagePaths.datasets.appendingPathComponent("breast_cancer_wdbc.csv")
        let first = try Dataset(contentsOf: url, seed: 11)
        let again = try Dataset(contentsOf: url, inferringSchemaWithLabel: "malignant", seed: 11)
        let other = try Dataset(contentsOf: url, seed: 12)
        #expect(again.schema == first.schema)
        #expect(again.train == first.train)
        #expect(again.test == first.test)
        #expect(other.test.lines != first.test.lines)
        #expect(first.statistics.rowCount == first.train.rowCount, "statistics come from the training rows")
    }

    @Test("each bundled file has a provenance file with its checksum, and the index lists it", arguments: BundledDataset.all)
    func provenanceFiles(dataset: BundledDataset) throws {
        let stem = dataset.url.deletingPathExtension().lastPathComponent
        let provenance = try String(
            contentsOf: PackagePaths.datasets.appendingPathComponent("\(stem).provenance.md"), encoding: .utf8)
        #expect(provenance.contains(dataset.sha256))
        #expect(provenance.contains("Licence"))
        let index = try String(contentsOf: PackagePaths.datasets.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(index.contains(dataset.file))
        #expect(index.contains(dataset.sha256))
    }

    @Test("the bundled schemas are what inference writes (regenerates them when COHORT_WRITE_SCHEMAS is set)",
          .enabled(if: ProcessInfo.processInfo.environment["COHORT_WRITE_SCHEMAS"] != nil,
                   "set COHORT_WRITE_SCHEMAS=1 to regenerate Datasets/*.schema.json"),
          arguments: BundledDataset.all)
    func writeSchemas(dataset: BundledDataset) throws {
        let schema = try Schema.infer(from: CSVTable(contentsOf: dataset.url), label: dataset.label)
        try schema.write(to: Schema.companionURL(forCSV: dataset.url))
        #expect(try Schema(contentsOf: Schema.companionURL(forCSV: dataset.url)) == schema)
    }
}
