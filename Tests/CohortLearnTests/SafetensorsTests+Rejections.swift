import CohortLearn
import CohortTensor
import Foundation
import Testing

extension SafetensorsTests {
    /// A malformed file, the code it must be rejected with, and text the message must hold.
    struct Rejection: Sendable, CustomTestStringConvertible {
        var label: String
        var bytes: Data
        var code: ModelFileError.Code
        var fragments: [String]

        init(_ label: String, _ bytes: Data, _ code: ModelFileError.Code, _ fragments: [String] = []) {
            self.label = label
            self.bytes = bytes
            self.code = code
            self.fragments = fragments
        }

        /// A file whose header is `header` (no padding) followed by `dataBytes` zero bytes.
        init(_ label: String, header: String, dataBytes: Int = 0, _ code: ModelFileError.Code, _ fragments: [String] = []) {
            self.init(label, SafetensorsTests.rawFile(header: header, data: Array(repeating: 0, count: dataBytes)),
                      code, fragments)
        }

        var testDescription: String { label }
    }

    /// A tensor entry as JSON text.
    static func entry(_ shape: String, _ begin: Int, _ end: Int, dtype: String = "F32") -> String {
        #"{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[\#(begin),\#(end)]}"#
    }

    static let rejections: [Rejection] = [
        // The length prefix.
        Rejection("empty file", Data(), .fileTooShort, ["0 bytes"]),
        Rejection("7 bytes", Data([8, 0, 0, 0, 0, 0, 0]), .fileTooShort, ["7 bytes"]),
        Rejection("header length over 100 MB", rawFile(header: "{}", declaredLength: 100_000_001),
                  .headerTooLarge, ["100000001"]),
        Rejection("header length 2^64 - 1", rawFile(header: "{}", declaredLength: .max), .headerTooLarge),
        Rejection("header length past the end", rawFile(header: "{}      ", declaredLength: 64),
                  .headerBeyondEndOfFile, ["64 bytes", "only 8"]),
        // The header as text and JSON.
        Rejection("header not UTF-8", rawFile(header: Array(#"{"w"#.utf8) + [0xFF] + Array(#"":1}"#.utf8)),
                  .headerNotUTF8, ["UTF-8", "byte 11"]),
        Rejection("header not JSON", header: "this is not JSON", .invalidHeader, ["not valid JSON"]),
        Rejection("header JSON cut short", header: #"{"w": {"dtype": "F32""#, .invalidHeader, ["not valid JSON"]),
        Rejection("header a JSON array", header: "[1, 2]  ", .invalidHeader, ["an array"]),
        Rejection("header a JSON string", header: #""model""#, .invalidHeader, ["a string"]),
        // Tensor entries.
        Rejection("entry not an object", header: #"{"w": [0, 4]}"#, .invalidTensorEntry, [#""w""#, "an array"]),
        Rejection("entry without dtype", header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4,
                  .invalidTensorEntry, [#""w""#, #""dtype""#]),
        Rejection("entry without shape", header: #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, dataBytes: 4,
                  .invalidTensorEntry, [#""shape""#]),
        Rejection("entry without data_offsets", header: #"{"w":{"dtype":"F32","shape":[1]}}"#,
                  .invalidTensorEntry, [#""data_offsets""#]),
        Rejection("dtype a number", header: #"{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4,
                  .invalidTensorEntry, ["dtype", "a number"]),
        Rejection("shape a string", header: #"{"w":{"dtype":"F32","shape":"[1]","data_offsets":[0,4]}}"#,
                  dataBytes: 4, .invalidTensorEntry, ["shape", "a string"]),
        Rejection("data_offsets an object",
                  header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":{"begin":0,"end":4}}}"#, dataBytes: 4,
                  .invalidTensorEntry, ["data_offsets", "an object"]),
        Rejection("dtype F16", header: #"{"w":\#(entry("[2]", 0, 4, dtype: "F16"))}"#, dataBytes: 4,
                  .unsupportedDType, [#""F16""#, "only F32"]),
        Rejection("dtype F64", header: #"{"w":\#(entry("[1]", 0, 8, dtype: "F64"))}"#, dataBytes: 8,
                  .unsupportedDType, [#""F64""#, "only F32"]),
        Rejection("negative dimension", header: #"{"w":\#(entry("[-1]", 0, 0))}"#, .invalidShape, ["negative"]),
        Rejection("fractional dimension", header: #"{"w":\#(entry("[2.5]", 0, 10))}"#, dataBytes: 10,
                  .invalidShape, ["2.5", "not an integer"]),
        Rejection("string dimension", header: #"{"w":\#(entry(#"["2"]"#, 0, 8))}"#, dataBytes: 8,
                  .invalidShape, ["not an integer"]),
        Rejection("shape too large to address", header: #"{"w":\#(entry("[4294967296,4294967296]", 0, 0))}"#,
                  .invalidShape, ["too many elements"]),
        Rejection("one offset", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#,
                  .invalidOffsets, ["[0]"]),
        Rejection("three offsets", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#,
                  dataBytes: 8, .invalidOffsets),
        Rejection("negative offset", header: #"{"w":\#(entry("[1]", -4, 0))}"#, .invalidOffsets, ["-4"]),
        Rejection("end before begin", header: #"{"w":\#(entry("[0]", 8, 4))}"#, dataBytes: 8, .invalidOffsets),
        Rejection("fractional offsets", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0.5,4.5]}}"#,
                  dataBytes: 5, .invalidOffsets),
        Rejection("byte range not 4 × elements", header: #"{"w":\#(entry("[2]", 0, 4))}"#, dataBytes: 4,
                  .byteCountMismatch, ["8 bytes", "span 4 bytes"]),
        // The layout of the data buffer.
        Rejection("overlapping tensors", header: #"{"a":\#(entry("[2]", 0, 8)),"b":\#(entry("[2]", 4, 12))}"#,
                  dataBytes: 12, .overlappingTensors, [#""a""#, #""b""#]),
        Rejection("empty tensor inside another", header: #"{"a":\#(entry("[2]", 0, 8)),"e":\#(entry("[0]", 4, 4))}"#,
                  dataBytes: 8, .overlappingTensors, [#""e""#]),
        Rejection("gap at the start", header: #"{"a":\#(entry("[1]", 4, 8))}"#, dataBytes: 8,
                  .unusedBytes, ["0..<4"]),
        Rejection("gap between tensors", header: #"{"a":\#(entry("[1]", 0, 4)),"b":\#(entry("[1]", 8, 12))}"#,
                  dataBytes: 12, .unusedBytes, ["4..<8", #""b""#]),
        Rejection("bytes after the last tensor", header: #"{"a":\#(entry("[1]", 0, 4))}"#, dataBytes: 6,
                  .unusedBytes, ["last 2 bytes"]),
        Rejection("data but no tensors", header: "{}", dataBytes: 4, .unusedBytes, ["last 4 bytes"]),
        Rejection("buffer shorter than the last offset", header: #"{"a":\#(entry("[2]", 0, 8))}"#, dataBytes: 4,
                  .truncatedFile, ["8 bytes", "only 4", "truncated"]),
        Rejection("offsets beyond the buffer, past a gap",
                  header: #"{"a":\#(entry("[1]", 0, 4)),"b":\#(entry("[1]", 100, 104))}"#, dataBytes: 4,
                  .offsetsOutOfBounds, [#""b""#, "[100, 104]"]),
        // Names.
        Rejection("duplicate tensor name", header: #"{"a":\#(entry("[1]", 0, 4)),"a":\#(entry("[1]", 0, 4))}"#,
                  dataBytes: 4, .duplicateName, [#"tensor "a" twice"#]),
        Rejection("duplicate tensor name spelled with an escape",
                  header: #"{"a":\#(entry("[1]", 0, 4)),"\u0061":\#(entry("[1]", 4, 8))}"#, dataBytes: 8,
                  .duplicateName, [#"tensor "a" twice"#]),
        Rejection("duplicate field in an entry",
                  header: #"{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4,
                  .duplicateName, [#"tensor "w""#, #""dtype""#]),
        Rejection("duplicate metadata key", header: #"{"__metadata__":{"k":"1","k":"2"}}"#,
                  .duplicateName, [#"metadata has the key "k" twice"#]),
        // Metadata.
        Rejection("metadata value a number", header: #"{"__metadata__":{"k":1}}"#,
                  .invalidMetadata, [#""k""#, "a number"]),
        Rejection("metadata value null", header: #"{"__metadata__":{"k":null}}"#, .invalidMetadata, [#""k""#]),
        Rejection("metadata an array", header: #"{"__metadata__":["k","v"]}"#, .invalidMetadata, ["an array"]),
    ]

    @Suite("Safetensors model files: rejection of malformed files")
    struct Rejections {
        @Test("a malformed file is rejected with its code and a message naming the file",
              arguments: SafetensorsTests.rejections)
        func rejects(_ rejection: Rejection) throws {
            try SafetensorsTests.withTemporaryDirectory { directory in
                let url = directory.appendingPathComponent("bad.safetensors")
                try rejection.bytes.write(to: url)
                let error = try #require(throws: ModelFileError.self) { try SafetensorsFile.read(from: url) }
                #expect(error.code == rejection.code, "\(error.message)")
                #expect(error.path == url.path)
                #expect(error.message.hasPrefix(url.path + ": "), "\(error.message)")
                for fragment in rejection.fragments {
                    #expect(error.message.contains(fragment), "\(error.message) lacks \(fragment)")
                }
            }
        }

        @Test("in-memory bytes are rejected naming their source")
        func rejectsInMemory() throws {
            let error = try #require(throws: ModelFileError.self) {
                try SafetensorsFile.decode(Data([1, 2, 3]), source: "site hospital-b, round 4")
            }
            #expect(error.code == .fileTooShort)
            #expect(error.message.hasPrefix("site hospital-b, round 4: "))
        }

        @Test("metadata that is null or absent reads as empty, as the reference reader allows")
        func nullMetadata() throws {
            let file = SafetensorsTests.rawFile(header: #"{"__metadata__":null,"w":\#(SafetensorsTests.entry("[1]", 0, 4))}"#,
                                                data: [0, 0, 0x80, 0x3F])
            let (tensors, metadata) = try SafetensorsFile.decode(file)
            #expect(metadata.isEmpty)
            #expect(tensors["w"]?.scalars == [1])
        }

        @Test("a file cut at any point is rejected: too short, header cut, or data cut")
        func truncation() throws {
            let tensors = NamedTensors([("dense0.weight", Tensor(rows: [[1, 2, 3], [4, 5, 6]])), ("dense0.bias", Tensor([7, 8]))])
            let whole = try SafetensorsFile.encode(tensors, metadata: ["k": "v"])
            let headerEnd = 8 + Int(whole[0]) + Int(whole[1]) << 8
            let cuts: [(Int, ModelFileError.Code)] = [
                (0, .fileTooShort), (1, .fileTooShort), (7, .fileTooShort),
                (8, .headerBeyondEndOfFile), (9, .headerBeyondEndOfFile), (headerEnd / 2, .headerBeyondEndOfFile),
                (headerEnd - 1, .headerBeyondEndOfFile),
                (headerEnd, .truncatedFile), (headerEnd + 1, .truncatedFile), (headerEnd + 12, .truncatedFile),
                (whole.count - 1, .truncatedFile),
            ]
            try SafetensorsTests.withTemporaryDirectory { directory in
                for (length, code) in cuts {
                    let url = directory.appendingPathComponent("cut-\(length).safetensors")
                    try whole.prefix(length).write(to: url)
                    let error = try #require(throws: ModelFileError.self) { try SafetensorsFile.read(from: url) }
                    #expect(error.code == code, "cut at \(length): \(error.message)")
                    #expect(error.message.hasPrefix(url.path + ": "))
                }
                #expect(try SafetensorsFile.decode(whole).tensors == tensors)
            }
        }

        @Test("a corrupted byte anywhere in the header is caught")
        func corruptedHeader() throws {
            let tensors = NamedTensors([("w", Tensor([1, 2, 3, 4]))])
            let whole = try SafetensorsFile.encode(tensors)
            let headerEnd = 8 + Int(whole[0])
            let header = String(decoding: whole[8..<headerEnd], as: UTF8.self)
            #expect(header.hasPrefix(#"{"w":{"data_offsets":[0,16],"#))

            // Any byte of the header set to 0xFF can never be UTF-8.
            for position in 8..<headerEnd {
                var bytes = whole
                bytes[position] = 0xFF
                let error = try #require(throws: ModelFileError.self) { try SafetensorsFile.decode(bytes, source: "f") }
                #expect(error.code == .headerNotUTF8, "byte \(position): \(error.message)")
                #expect(error.message.contains("byte \(position)"))
            }

            // Single-character changes that keep valid UTF-8 are caught by the JSON and the checks.
            func corrupt(_ text: String, to replacement: Character) throws -> ModelFileError.Code {
                let offset = try #require(header.utf8.firstRange(of: text.utf8)).lowerBound
                var bytes = whole
                bytes[8 + header.utf8.distance(from: header.utf8.startIndex, to: offset)] = try #require(replacement.asciiValue)
                let error = try #require(throws: ModelFileError.self) { try SafetensorsFile.decode(bytes, source: "f") }
                return error.code
            }
            #expect(try corrupt("{", to: "[") == .invalidHeader)
            #expect(try corrupt(":[0,16]", to: ",") == .invalidHeader)
            #expect(try corrupt("16]", to: "2") == .byteCountMismatch)
            #expect(try corrupt("F32", to: "B") == .unsupportedDType)
            #expect(try corrupt("[4]", to: "{") == .invalidHeader)
            #expect(try corrupt("shape", to: "S") == .invalidTensorEntry)
            #expect(try corrupt("4]", to: "-") == .invalidHeader)
            #expect(try corrupt("4]", to: "3") == .byteCountMismatch)
        }
    }
}
