import Foundation

extension SafetensorsHeader {
    /// Finds a name that appears twice in one object of a JSON text.
    ///
    /// `JSONDecoder` keeps one of the values silently, so duplicates are found by a scan of the
    /// raw text. The scan trusts the text to be valid JSON (the decoder has accepted it) and
    /// compares keys after decoding their escapes, so `"\u0061"` and `"a"` are the same name.
    enum DuplicateKeys {
        /// The repeated key and the keys of the objects that enclose it, outermost first.
        struct Duplicate: Equatable {
            var key: String
            var enclosingKeys: [String]
        }

        private struct Frame {
            var isObject: Bool
            var keys: Set<String> = []
            var expectingKey = true
            var lastKey: String?
        }

        /// The first duplicate in document order, or nil.
        static func first(in bytes: UnsafeRawBufferPointer) -> Duplicate? {
            var stack: [Frame] = []
            var index = 0
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "{"):
                    stack.append(Frame(isObject: true))
                    index += 1
                case UInt8(ascii: "["):
                    stack.append(Frame(isObject: false))
                    index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    _ = stack.popLast()
                    index += 1
                case UInt8(ascii: ","):
                    if stack.last?.isObject == true { stack[stack.count - 1].expectingKey = true }
                    index += 1
                case UInt8(ascii: "\""):
                    let start = index
                    var escaped = false
                    index += 1
                    while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
                        if bytes[index] == UInt8(ascii: "\\") { escaped = true; index += 1 }
                        index += 1
                    }
                    index += 1
                    guard var top = stack.popLast() else { continue }
                    if top.isObject && top.expectingKey {
                        let token = UnsafeRawBufferPointer(rebasing: bytes[start..<min(index, bytes.count)])
                        let key = decodeKey(token, escaped: escaped)
                        if top.keys.contains(key) {
                            return Duplicate(key: key, enclosingKeys: stack.compactMap(\.lastKey))
                        }
                        top.keys.insert(key)
                        top.lastKey = key
                        top.expectingKey = false
                    }
                    stack.append(top)
                default:
                    index += 1
                }
            }
            return nil
        }

        private static func decodeKey(_ token: UnsafeRawBufferPointer, escaped: Bool) -> String {
            let inner = String(decoding: token.dropFirst().dropLast(), as: UTF8.self)
            guard escaped else { return inner }
            return (try? JSONDecoder().decode(String.self, from: Data(token))) ?? inner
        }
    }
}
