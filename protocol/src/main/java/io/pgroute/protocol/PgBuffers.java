package io.pgroute.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reading and writing the wire protocol's primitive types with the bounds checks the protocol needs: every read
 * checks that the bytes are there (and every count that its elements can be) before reading or allocating, and
 * throws {@link ProtocolException} otherwise.
 */
public final class PgBuffers {

    /** PostgreSQL's limit on a length-prefixed value in a message body (1 GB). */
    public static final int MAX_VALUE_LENGTH = 0x3FFF_FFFF;

    private PgBuffers() {
    }

    /** Reads a NUL-terminated UTF-8 string and the NUL. */
    public static String readCString(ByteBuf in) {
        int from = in.readerIndex();
        int nul = nulIndex(in, from, in.writerIndex());
        if (nul < 0) {
            throw new ProtocolException("invalid string in message");
        }
        String result = string(in, from, nul);
        in.readerIndex(nul + 1);
        return result;
    }

    /**
     * The index just after the {@code count} NUL-terminated strings that start at {@code from} in {@code in} (up to its
     * writer index), or -1 when fewer are there. Reads no index of {@code in} and decodes nothing.
     */
    public static int afterCStrings(ByteBuf in, int from, int count) {
        int at = from;
        int end = in.writerIndex();
        for (int i = 0; i < count; i++) {
            int nul = at > end ? -1 : nulIndex(in, at, end);
            if (nul < 0) {
                return -1;
            }
            at = nul + 1;
        }
        return at;
    }

    /**
     * The index of the first NUL in {@code in} between {@code from} (inclusive) and {@code to}, or -1. A heap buffer
     * is scanned in its array: message strings are short, and a buffer's own search spends more on its checks.
     */
    static int nulIndex(ByteBuf in, int from, int to) {
        if (from >= to) {
            return -1;
        }
        if (in.hasArray()) {
            byte[] array = in.array();
            int offset = in.arrayOffset();
            for (int i = from; i < to; i++) {
                if (array[offset + i] == 0) {
                    return i;
                }
            }
            return -1;
        }
        return in.indexOf(from, to, (byte) 0);
    }

    /**
     * The string in {@code in} from {@code from} (inclusive) to {@code to}, read without moving an index: UTF-8, with
     * every byte that is not part of valid UTF-8 kept as the lone surrogate {@code U+DC00 + byte} (as Python's
     * surrogateescape), so that {@link #writeCString} and {@link #bytes} give back the very bytes. A client whose
     * client_encoding is not UTF8 (LATIN1's {@code 'café'} is {@code 63 61 66 E9}) sends such bytes; read as U+FFFD,
     * two different texts would become one, and a text sent on would reach the server changed.
     */
    static String string(ByteBuf in, int from, int to) {
        if (from == to) {
            return "";
        }
        byte[] array;
        int offset;
        if (in.hasArray()) {
            array = in.array();
            offset = in.arrayOffset() + from;
        } else {
            array = new byte[to - from];
            in.getBytes(from, array);
            offset = 0;
        }
        String result = new String(array, offset, to - from, StandardCharsets.UTF_8);
        return result.indexOf('\uFFFD') < 0 ? result : escaping(array, offset, to - from);
    }

    /** {@link #string} of bytes that may not all be valid UTF-8 (the JDK's decoder put U+FFFD somewhere). */
    private static String escaping(byte[] array, int offset, int length) {
        java.nio.charset.CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(array, offset, length);
        java.nio.CharBuffer chars = java.nio.CharBuffer.allocate(length);  // never more chars than bytes
        while (true) {
            java.nio.charset.CoderResult result = decoder.decode(bytes, chars, true);
            if (result.isError()) {
                for (int i = 0; i < result.length(); i++) {
                    chars.put((char) (ESCAPE | (bytes.get() & 0xFF)));
                }
            } else {
                decoder.flush(chars);
                return chars.flip().toString();
            }
        }
    }

    /** The first of the 256 lone surrogates that stand for bytes that are not UTF-8 (see {@link #string}). */
    private static final char ESCAPE = '\uDC00';

    /** Whether {@code value} holds a byte that is not UTF-8, kept by {@link #string}. */
    public static boolean hasEscapedBytes(String value) {
        return firstEscape(value) >= 0;
    }

    /** The index of the first escaped byte in {@code value} (a lone low surrogate up to U+DCFF), or -1. */
    private static int firstEscape(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (isEscape(value, i)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether {@code value.charAt(i)} is an escaped byte: a low surrogate up to U+DCFF that ends no pair. */
    private static boolean isEscape(String value, int i) {
        char c = value.charAt(i);
        return c >= ESCAPE && c <= '\uDCFF' && (i == 0 || !Character.isHighSurrogate(value.charAt(i - 1)));
    }

    /** The bytes {@link #string} read {@code value} from: UTF-8, escaped bytes as they were. */
    public static byte[] bytes(String value) {
        int first = firstEscape(value);
        return first < 0 ? value.getBytes(StandardCharsets.UTF_8) : escapedBytes(value, first);
    }

    /** {@link #bytes} of {@code value}, whose first escaped byte is at {@code first}. */
    private static byte[] escapedBytes(String value, int first) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(value.length() + 8);
        int start = 0;
        for (int i = first; i < value.length(); i++) {
            if (isEscape(value, i)) {
                out.writeBytes(value.substring(start, i).getBytes(StandardCharsets.UTF_8));
                out.write(value.charAt(i) & 0xFF);
                start = i + 1;
            }
        }
        out.writeBytes(value.substring(start).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /**
     * Writes {@code value} as UTF-8 (escaped bytes as they were, see {@link #string}) followed by a NUL; a string
     * that contains a NUL cannot be sent.
     */
    public static void writeCString(ByteBuf out, String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("string contains a NUL character");
        }
        int first = firstEscape(value);
        if (first < 0) {
            out.writeCharSequence(value, StandardCharsets.UTF_8);
        } else {
            out.writeBytes(escapedBytes(value, first));
        }
        out.writeByte(0);
    }

    /** Throws unless {@code count} more bytes can be read. */
    public static void require(ByteBuf in, int count) {
        if (count < 0 || in.readableBytes() < count) {
            throw new ProtocolException("insufficient data left in message");
        }
    }

    /** Throws if bytes are left after the last field of a message. */
    public static void requireEnd(ByteBuf in) {
        if (in.isReadable()) {
            throw new ProtocolException("invalid message format");
        }
    }

    public static byte readByte(ByteBuf in) {
        require(in, 1);
        return in.readByte();
    }

    public static short readShort(ByteBuf in) {
        require(in, 2);
        return in.readShort();
    }

    public static int readInt(ByteBuf in) {
        require(in, 4);
        return in.readInt();
    }

    /**
     * Reads an Int16 element count (unsigned, as PostgreSQL does) and checks that {@code count} elements of at
     * least {@code minElementBytes} bytes each can follow.
     */
    public static int readCount(ByteBuf in, int minElementBytes) {
        int result = readShort(in) & 0xFFFF;
        require(in, result * minElementBytes);
        return result;
    }

    /** Writes an Int16 element count. */
    public static void writeCount(ByteBuf out, int count) {
        if (count < 0 || count > 0xFFFF) {
            throw new IllegalArgumentException("too many elements for an Int16 count: " + count);
        }
        out.writeShort(count);
    }

    /** Reads {@code length} bytes into a new array. */
    public static byte[] readBytes(ByteBuf in, int length) {
        require(in, length);
        byte[] result = new byte[length];
        in.readBytes(result);
        return result;
    }

    /** Reads every remaining byte into a new array. */
    public static byte[] readRemaining(ByteBuf in) {
        return readBytes(in, in.readableBytes());
    }

    /** Reads an Int32 length and that many bytes; length -1 is {@code null} (SQL NULL). */
    public static byte[] readNullableBytes(ByteBuf in) {
        int length = readInt(in);
        if (length == -1) {
            return null;
        }
        if (length < -1 || length > MAX_VALUE_LENGTH) {
            throw new ProtocolException("invalid value length " + length);
        }
        return readBytes(in, length);
    }

    /** Writes an Int32 length and the bytes; {@code null} is written as length -1. */
    public static void writeNullableBytes(ByteBuf out, byte[] value) {
        if (value == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(value.length);
        out.writeBytes(value);
    }

    /** Reads an Int16 count and that many Int16 values. */
    public static short[] readShortArray(ByteBuf in) {
        int count = readCount(in, 2);
        short[] result = new short[count];
        for (int i = 0; i < count; i++) {
            result[i] = in.readShort();
        }
        return result;
    }

    /** Writes an Int16 count and the Int16 values. */
    public static void writeShortArray(ByteBuf out, short[] values) {
        writeCount(out, values.length);
        for (short each : values) {
            out.writeShort(each);
        }
    }

    /** Reads an Int16 count and that many Int32 values. */
    public static int[] readIntArray(ByteBuf in) {
        int count = readCount(in, 4);
        int[] result = new int[count];
        for (int i = 0; i < count; i++) {
            result[i] = in.readInt();
        }
        return result;
    }

    /** Writes an Int16 count and the Int32 values. */
    public static void writeIntArray(ByteBuf out, int[] values) {
        writeCount(out, values.length);
        for (int each : values) {
            out.writeInt(each);
        }
    }

    /** Reads an Int16 count and that many Int32-length-prefixed values (-1 = {@code null}). */
    public static byte[][] readNullableBytesArray(ByteBuf in) {
        int count = readCount(in, 4);
        byte[][] result = new byte[count][];
        for (int i = 0; i < count; i++) {
            result[i] = readNullableBytes(in);
        }
        return result;
    }

    /** Writes an Int16 count and the Int32-length-prefixed values ({@code null} = -1). */
    public static void writeNullableBytesArray(ByteBuf out, byte[][] values) {
        writeCount(out, values.length);
        for (byte[] each : values) {
            writeNullableBytes(out, each);
        }
    }
}
