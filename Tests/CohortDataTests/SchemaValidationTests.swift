import CohortData
import Testing

@Suite("Validating a table against a schema")
struct SchemaValidationTests {
    static let schema = Schema(
        label: LabelColumn(name: "outcome", classes: ["0", "1"]),
        features: [
            FeatureColumn(name: "age", kind: .numeric),
            FeatureColumn(name: "blood_type", kind: .categorical(levels: ["A", "B", "O"])),
            FeatureColumn(name: "weight", kind: .numeric, missing: .reject),
        ])

    /// The error from validating `text` (file `v.csv`) against `schema`.
    func validationError(_ text: String, schema: Schema = schema) -> DataError? {
        dataError { try schema.validate(table(text, file: "v.csv")) }
    }

    @Test("a good table validates to typed columns, with NaN and -1 for missing cells")
    func goodTable() throws {
        let validated = try Self.schema.validate(table("age,blood_type,weight,outcome\n30,B,70,1\n,,80,0\n"))
        #expect(validated.rowCount == 2)
        #expect(validated.labels == [1, 0])
        #expect(validated.lines == [2, 3])
        #expect(validated.columns[0].isMissing(1))
        #expect(!validated.columns[0].isMissing(0))
        guard case .categorical(let levels) = validated.columns[1] else {
            Issue.record("blood_type should be categorical")
            return
        }
        #expect(levels == [1, -1])
        #expect(validated.classCounts == [1, 1])
    }

    @Test("text in a numeric column names the file, line, column and the text")
    func textInNumericColumn() {
        let error = validationError("age,blood_type,weight,outcome\n30,A,70,1\n31,A,seventy,0\n")
        #expect(error?.code == .notANumber)
        #expect(error?.line == 3)
        #expect(error?.column == 3)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("v.csv:3:3 (column \"weight\"): "), "\(message)")
        #expect(message.contains("\"seventy\""), "\(message)")
    }

    @Test("of several bad numeric cells, the first in file order is reported")
    func firstBadCellInFileOrder() {
        let error = validationError("age,blood_type,weight,outcome\n30,A,70,1\n31,A,,0\nold,A,72,0\n")
        #expect(error?.code == .missingValue)
        #expect(error?.line == 3)
        let later = validationError("age,blood_type,weight,outcome\n30,A,70,1\n31,A,heavy,0\nold,A,72,0\n")
        #expect(later?.code == .notANumber)
        #expect(later?.message.hasPrefix("v.csv:3:3 (column \"weight\"): \"heavy\"") == true, "\(later?.message ?? "")")
    }

    @Test("an unknown label value is named, with where it is")
    func unknownLabel() {
        let error = validationError("age,blood_type,weight,outcome\n30,A,70,1\n31,A,71,0\n32,B,72,2\n")
        #expect(error?.code == .unknownLabel)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("v.csv:4:4 (column \"outcome\"): "), "\(message)")
        #expect(message.contains("label \"2\""), "\(message)")
    }

    @Test("a missing label is refused")
    func missingLabel() {
        let error = validationError("age,blood_type,weight,outcome\n30,A,70,\n")
        #expect(error?.code == .missingLabel)
        #expect(error?.message.hasPrefix("v.csv:2:4 (column \"outcome\"): ") == true, "\(error?.message ?? "")")
    }

    @Test("a missing cell under the reject policy is refused; under impute it is kept as missing")
    func rejectPolicy() {
        let error = validationError("age,blood_type,weight,outcome\n,,70,1\n30,A,,0\n")
        #expect(error?.code == .missingValue)
        #expect(error?.message.hasPrefix("v.csv:3:3 (column \"weight\"): ") == true, "\(error?.message ?? "")")
    }

    @Test("a level the schema does not list is refused, naming it")
    func unknownLevel() {
        let error = validationError("age,blood_type,weight,outcome\n30,AB,70,1\n")
        #expect(error?.code == .unknownLevel)
        #expect(error?.message.hasPrefix("v.csv:2:2 (column \"blood_type\"): \"AB\"") == true, "\(error?.message ?? "")")
    }

    @Test("a table column that the schema does not mention is refused")
    func columnNotInSchema() {
        let error = validationError("age,blood_type,weight,height,outcome\n30,A,70,180,1\n")
        #expect(error?.code == .columnNotInSchema)
        #expect(error?.message.hasPrefix("v.csv:1:4 (column \"height\"): ") == true, "\(error?.message ?? "")")
    }

    @Test("a feature of the schema that the table lacks is refused", arguments: [
        ("blood_type,weight,outcome\nA,70,1\n", "\"age\""),
        ("age,blood_type,weight\n30,A,70\n", "\"outcome\""),
    ])
    func columnNotInTable(text: String, name: String) {
        let error = validationError(text)
        #expect(error?.code == .columnNotInTable)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("v.csv:1: "), "\(message)")
        #expect(message.contains(name), "\(message)")
    }

    @Test("an inconsistent schema is refused before the table is read")
    func inconsistentSchema() {
        var schema = Self.schema
        schema.features.append(FeatureColumn(name: "age", kind: .numeric))
        let error = validationError("age,blood_type,weight,outcome\n30,A,70,1\n", schema: schema)
        #expect(error?.code == .invalidSchema)
        #expect(error?.message.contains("\"age\" appears twice") == true)
    }
}
