import CohortData
import Foundation
import Testing

@Suite("Schemas: inference, JSON, editing")
struct SchemaTests {
    static let patients = """
        age,blood_type,score,notes,outcome
        34,A,1.5,,2
        51,O,2,,10
        29,AB,,,2
        62,A,3.25,,1
        """

    @Test("inference makes all-number columns numeric and others categorical with sorted levels")
    func inference() throws {
        let schema = try Schema.infer(from: table(Self.patients), label: "outcome")
        #expect(schema.label == LabelColumn(name: "outcome", classes: ["1", "2", "10"]))
        #expect(schema.features.map(\.name) == ["age", "blood_type", "score", "notes"])
        #expect(schema.features[0].kind == .numeric)
        #expect(schema.features[1].kind == .categorical(levels: ["A", "AB", "O"]))
        #expect(schema.features[2].kind == .numeric, "missing cells do not make a column categorical")
        #expect(schema.features[3].ignore, "an all-empty column is ignored")
        #expect(schema.features.allSatisfy { $0.missing == .impute })
        #expect(schema.encodedFeatureNames == ["age", "blood_type=A", "blood_type=AB", "blood_type=O", "score"])
    }

    @Test("text labels are sorted as text; mixed ones too")
    func textLabels() throws {
        let schema = try Schema.infer(from: table("x,y\n1,mid\n2,high\n3,low\n4,10\n"), label: "y")
        #expect(schema.label.classes == ["10", "high", "low", "mid"])
    }

    @Test("inference with a label that is not a column names the file and the label")
    func inferenceUnknownLabel() {
        let error = dataError { _ = try Schema.infer(from: table("a,b\n1,2\n", file: "t.csv"), label: "target") }
        #expect(error?.code == .columnNotInTable)
        #expect(error?.message.hasPrefix("t.csv:1: ") == true)
        #expect(error?.message.contains("\"target\"") == true)
    }

    @Test("JSON round-trips, with sorted keys and flat feature objects")
    func jsonRoundTrip() throws {
        var schema = try Schema.infer(from: table(Self.patients), label: "outcome")
        schema.features[0].missing = .reject
        let data = try schema.jsonData()
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(try Schema(jsonData: data, fileName: "s.json") == schema)
        #expect(text.contains("\"kind\" : \"categorical\",\n      \"levels\" : ["), "\(text)")
        #expect(text.contains("\"missing\" : \"reject\""))
        let features = try #require(text.range(of: "\"features\""))
        let label = try #require(text.range(of: "\"label\""))
        #expect(features.lowerBound < label.lowerBound, "keys are sorted")
        #expect(try schema.jsonData() == data, "encoding is deterministic")
    }

    @Test("hand-written JSON may leave out missing and ignore")
    func jsonDefaults() throws {
        let json = #"{"label": {"name": "y", "classes": ["a", "b"]}, "features": [{"name": "x", "kind": "numeric"}]}"#
        let schema = try Schema(jsonData: Data(json.utf8), fileName: "s.json")
        #expect(schema.features == [FeatureColumn(name: "x", kind: .numeric, missing: .impute, ignore: false)])
    }

    @Test("a bad schema file is refused, naming the file and the field",
          arguments: [
            (#"{"label": {"name": "y", "classes": ["0"]}, "features": [{"name": "x", "kind": "numerical"}]}"#, "features[0].kind"),
            (#"{"label": {"name": "y", "classes": ["0"]}, "features": [{"name": "x", "kind": "categorical"}]}"#, "levels"),
            (#"{"label": {"name": "y"}, "features": []}"#, "label.classes"),
            (#"{"label": {"name": "y", "classes": ["0", "0"]}, "features": []}"#, "class \"0\" twice"),
            (#"{"label": {"name": "y", "classes": ["0"]}, "features": [{"name": "y", "kind": "numeric"}]}"#, "both the label and a feature"),
            (#"{"label": {"name": "y", "classes": ["0"]}, "features": [{"name": "x", "kind": "categorical", "levels": []}]}"#, "no levels"),
            ("{not json", "not valid JSON"),
          ])
    func badSchemaFile(json: String, mentions: String) {
        let error = dataError { _ = try Schema(jsonData: Data(json.utf8), fileName: "bad.schema.json") }
        #expect(error?.code == .invalidSchema)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("bad.schema.json: "), "\(message)")
        #expect(message.contains(mentions), "\(message)")
    }

    @Test("an edited schema is honoured: a numeric column made categorical, another ignored")
    func editAndPassBack() throws {
        let csv = try table(Self.patients)
        let inferred = try Schema.infer(from: csv, label: "outcome")
        var text = try #require(String(data: inferred.jsonData(), encoding: .utf8))
        // Edit the JSON as a person would: age becomes categorical, score is ignored.
        let age = #""kind" : "numeric",\#n      "missing" : "impute",\#n      "name" : "age""#
        let score = #""ignore" : false,\#n      "kind" : "numeric",\#n      "missing" : "impute",\#n      "name" : "score""#
        #expect(text.contains(age) && text.contains(score), "\(text)")
        text = text.replacingOccurrences(
            of: age, with: #""kind" : "categorical", "levels" : ["29", "34", "51", "62"], "missing" : "impute", "name" : "age""#)
        text = text.replacingOccurrences(of: score, with: score.replacingOccurrences(of: "false", with: "true"))
        let edited = try Schema(jsonData: Data(text.utf8), fileName: "edited.json")

        #expect(edited.feature(named: "age")?.kind == .categorical(levels: ["29", "34", "51", "62"]))
        #expect(edited.feature(named: "score")?.ignore == true)
        let matrix = try PreprocessingStatistics.fit(edited.validate(csv)).apply(to: edited.validate(csv))
        #expect(matrix.featureNames == ["age=29", "age=34", "age=51", "age=62", "blood_type=A", "blood_type=AB", "blood_type=O"])
        #expect(matrix.features.shape == [4, 7])
        // Row 0 is age 34, blood type A.
        #expect(Array(matrix.features.scalars[0..<7]) == [0, 1, 0, 0, 1, 0, 0])
    }

    @Test("an ignored feature may be absent from the table, and columns may come in any order")
    func ignoredAndReordered() throws {
        let schema = Schema(
            label: LabelColumn(name: "y", classes: ["0", "1"]),
            features: [
                FeatureColumn(name: "b", kind: .numeric),
                FeatureColumn(name: "patient_id", kind: .numeric, ignore: true),
                FeatureColumn(name: "a", kind: .numeric),
            ])
        let validated = try schema.validate(table("y,a,b\n0,1,10\n1,2,20\n"))
        guard case .numeric(let first) = validated.columns[0], case .numeric(let second) = validated.columns[1] else {
            Issue.record("expected two numeric columns")
            return
        }
        #expect(first == [10, 20], "design order follows the schema, not the file")
        #expect(second == [1, 2])
        #expect(validated.labels == [0, 1])
    }
}
