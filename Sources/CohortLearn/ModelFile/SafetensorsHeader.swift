import Foundation

/// The validated header of a safetensors file: each tensor's shape and byte range, and
/// the metadata. Checks each entry on its own; the layout of the ranges in the buffer is
/// checked by `SafetensorsFile.decode`.
struct SafetensorsHeader {
    struct Entry {
        var name: String
        var shape: [Int]
        var elementCount: Int
        /// The byte range in the data buffer, `begin..<end`.
        var begin: Int
        var end: Int
    }

    /// The tensors, in no particular order.
    var entries: [Entry]
    var metadata: [String: String]

    /// Parses and validates the header bytes (without the 8-byte length before them).
    init(parsing bytes: UnsafeRawBufferPointer, path: String) throws {
        if let offset = Self.firstInvalidUTF8(in: bytes) {
            throw ModelFileError(
                .headerNotUTF8, "the header is not valid UTF-8 (byte \(8 + offset) of the file)", path: path)
        }
        let text = Data(bytes)
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: text)
        } catch {
            throw ModelFileError(
                .invalidHeader, "the header is not valid JSON: \(Self.problem(in: text, decoderError: error))",
                path: path, cause: error)
        }
        guard case .object(let members) = root else {
            throw ModelFileError(
                .invalidHeader, "the header is \(root.kindWithArticle) in JSON, not an object of tensor entries",
                path: path)
        }
        if let duplicate = DuplicateKeys.first(in: bytes) {
            throw Self.error(for: duplicate, path: path)
        }

        metadata = try Self.metadata(members[SafetensorsFile.metadataKey], path: path)
        entries = []
        entries.reserveCapacity(members.count)
        // Sorted so that a file with several faults always reports the same one.
        for name in members.keys.sorted() where name != SafetensorsFile.metadataKey {
            if let value = members[name] { entries.append(try Self.entry(named: name, value, path: path)) }
        }
    }

    private static func metadata(_ value: JSONValue?, path: String) throws -> [String: String] {
        switch value {
        case nil, .null?:
            return [:]
        case .object(let members)?:
            var metadata: [String: String] = [:]
            for key in members.keys.sorted() {
                guard case .string(let text)? = members[key] else {
                    throw ModelFileError(
                        .invalidMetadata,
                        "metadata value for key \"\(key)\" is \(members[key]?.kindWithArticle ?? "missing"), but "
                            + "\(SafetensorsFile.metadataKey) values must all be strings",
                        path: path)
                }
                metadata[key] = text
            }
            return metadata
        case let other?:
            throw ModelFileError(
                .invalidMetadata,
                "\(SafetensorsFile.metadataKey) is \(other.kindWithArticle), not an object of strings", path: path)
        }
    }

    private static func entry(named name: String, _ value: JSONValue, path: String) throws -> Entry {
        func failure(_ code: ModelFileError.Code, _ detail: String) -> ModelFileError {
            ModelFileError(code, "tensor \"\(name)\" \(detail)", path: path, tensorName: name)
        }
        guard case .object(let fields) = value else {
            throw failure(.invalidTensorEntry,
                          "is described by \(value.kindWithArticle), not an object with dtype, shape and data_offsets")
        }
        let missing = ["dtype", "shape", "data_offsets"].filter { fields[$0] == nil }
        guard missing.isEmpty else {
            throw failure(.invalidTensorEntry, "has no " + missing.map { "\"\($0)\"" }.joined(separator: " or "))
        }
        guard case .string(let dtype)? = fields["dtype"] else {
            throw failure(.invalidTensorEntry,
                          "has a dtype that is \(fields["dtype"]?.kindWithArticle ?? "missing"), not a string such as \"F32\"")
        }
        guard case .array(let dimensions)? = fields["shape"] else {
            throw failure(.invalidTensorEntry,
                          "has a shape that is \(fields["shape"]?.kindWithArticle ?? "missing"), not an array of dimensions")
        }
        guard case .array(let offsets)? = fields["data_offsets"] else {
            throw failure(.invalidTensorEntry,
                          "has data_offsets that are \(fields["data_offsets"]?.kindWithArticle ?? "missing"), "
                              + "not an array [begin, end]")
        }
        guard dtype == "F32" else {
            throw failure(.unsupportedDType, "has dtype \"\(dtype)\"; Cohort reads only F32 (32-bit float) model files")
        }

        let shapeText = JSONValue.array(dimensions).text
        var shape: [Int] = []
        var elementCount = 1
        for (axis, dimension) in dimensions.enumerated() {
            guard case .integer(let extent) = dimension else {
                throw failure(.invalidShape, "has shape \(shapeText): dimension \(axis) is not an integer")
            }
            guard extent >= 0 else {
                throw failure(.invalidShape, "has shape \(shapeText): dimension \(axis) is negative")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw failure(.invalidShape, "has shape \(shapeText), too many elements to address")
            }
            shape.append(extent)
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        guard !overflow else {
            throw failure(.invalidShape, "has shape \(shapeText), too many elements to address")
        }

        guard offsets.count == 2, case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1],
              begin >= 0, begin <= end
        else {
            throw failure(.invalidOffsets, "has data_offsets \(JSONValue.array(offsets).text); they must be "
                              + "two integers [begin, end] with 0 ≤ begin ≤ end")
        }
        guard end - begin == byteCount else {
            throw failure(.byteCountMismatch,
                          "has shape \(shape) (\(elementCount) F32 values, \(byteCount) bytes), but its data_offsets "
                              + "[\(begin), \(end)] span \(end - begin) bytes")
        }
        return Entry(name: name, shape: shape, elementCount: elementCount, begin: begin, end: end)
    }

    private static func error(for duplicate: DuplicateKeys.Duplicate, path: String) -> ModelFileError {
        let key = "\"\(duplicate.key)\""
        let enclosing = duplicate.enclosingKeys
        if enclosing.isEmpty {
            return ModelFileError(.duplicateName, "the header names tensor \(key) twice", path: path,
                                  tensorName: duplicate.key)
        }
        if enclosing == [SafetensorsFile.metadataKey] {
            return ModelFileError(.duplicateName, "the metadata has the key \(key) twice", path: path)
        }
        if enclosing.count == 1 {
            return ModelFileError(.duplicateName, "tensor \"\(enclosing[0])\" has the field \(key) twice",
                                  path: path, tensorName: enclosing[0])
        }
        return ModelFileError(
            .duplicateName, "the key \(key) appears twice in one object (under \(enclosing.joined(separator: " → ")))",
            path: path)
    }

    /// The offset of the first byte that is not part of a valid UTF-8 sequence, or nil.
    private static func firstInvalidUTF8(in bytes: UnsafeRawBufferPointer) -> Int? {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// Where the JSON goes wrong. `JSONDecoder` says only that the data is not valid JSON;
    /// `JSONSerialization` says where ("Invalid value around character 12."), so on this
    /// error path the text is parsed once more to ask it.
    private static func problem(in text: Data, decoderError: any Error) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: text, options: [.fragmentsAllowed])
        } catch {
            if let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        }
        return summary(of: decoderError)
    }

    private static func summary(of error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return "\(error)" }
        switch decodingError {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context),
             .keyNotFound(_, let context):
            if let underlying = context.underlyingError {
                return "\(context.debugDescription) (\(underlying))"
            }
            return context.debugDescription
        @unknown default:
            return "\(decodingError)"
        }
    }
}
