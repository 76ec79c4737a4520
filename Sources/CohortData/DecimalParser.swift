/// Parses decimal numbers from raw bytes without making a `String` in the common case.
///
/// The grammar is `[spaces] [+|-] digits [. digits] [(e|E) [+|-] digits] [spaces]`, with at
/// least one digit before or after the point. Anything else (including `nan`, `inf` and hex
/// forms that `Double.init(_:)` would accept) is not a number, and neither is a value that
/// overflows to infinity.
///
/// Numbers with at most 15 significant digits and a decimal exponent within ±22 are
/// converted exactly by one multiplication or division of two exactly representable
/// doubles, which is correctly rounded (W. D. Clinger, "How to read floating point numbers
/// accurately", PLDI 1990, the fast path). Other numbers go through the standard library's
/// correctly rounded conversion.
enum DecimalParser {
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
    private static func digit(_ byte: UInt8) -> UInt64? {
        byte >= 0x30 && byte <= 0x39 ? UInt64(byte - 0x30) : nil
    }

    /// The value of `bytes`, or nil when they are not a finite decimal number.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var first = 0
        var last = bytes.count
        while first < last && isSpace(bytes[first]) { first += 1 }
        while last > first && isSpace(bytes[last - 1]) { last -= 1 }
        if first == last { return nil }

        var position = first
        var negative = false
        if bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
            negative = bytes[position] == UInt8(ascii: "-")
            position += 1
        }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var sawDigit = false
        var truncated = false

        while position < last, let value = digit(bytes[position]) {
            sawDigit = true
            if mantissa == 0 && value == 0 {
                // A leading zero adds nothing.
            } else if significantDigits < 19 {
                mantissa = mantissa * 10 + value
                significantDigits += 1
            } else {
                exponent += 1
                truncated = truncated || value != 0
            }
            position += 1
        }
        if position < last && bytes[position] == UInt8(ascii: ".") {
            position += 1
            while position < last, let value = digit(bytes[position]) {
                sawDigit = true
                if mantissa == 0 && value == 0 {
                    exponent -= 1
                } else if significantDigits < 19 {
                    mantissa = mantissa * 10 + value
                    significantDigits += 1
                    exponent -= 1
                } else {
                    truncated = truncated || value != 0
                }
                position += 1
            }
        }
        guard sawDigit else { return nil }

        if position < last && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            var exponentNegative = false
            if position < last && (bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+")) {
                exponentNegative = bytes[position] == UInt8(ascii: "-")
                position += 1
            }
            var written = 0
            var sawExponentDigit = false
            while position < last, let value = digit(bytes[position]) {
                sawExponentDigit = true
                // Beyond this every double has long since overflowed or underflowed.
                if written < 100_000 { written = written * 10 + Int(value) }
                position += 1
            }
            guard sawExponentDigit else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard position == last else { return nil }

        let magnitude: Double
        if mantissa == 0 {
            magnitude = 0
        } else if !truncated && significantDigits <= 15 && exponent >= -22 && exponent <= 22 {
            magnitude = exponent < 0
                ? Double(mantissa) / powersOfTen[-exponent]
                : Double(mantissa) * powersOfTen[exponent]
        } else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[first..<last]), as: UTF8.self)
            guard let value = Double(text), value.isFinite else { return nil }
            return value
        }
        return negative ? -magnitude : magnitude
    }
}
