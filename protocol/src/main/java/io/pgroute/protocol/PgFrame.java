package io.pgroute.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import java.util.function.Function;

/**
 * A typed message relayed byte for byte: its type byte and its body (everything after the Int32 length).
 *
 * <p>The frame owns its body: whoever holds the frame last releases it. Decode a typed record from it with
 * {@link #decode(Function)}, which reads from a duplicate and so leaves the body intact for relaying.
 *
 * <p>A <em>run</em> ({@link #frames()} &gt; 1) is several consecutive DataRow messages as they arrived, relayed as
 * one: a large result then costs one object and one pipeline pass per read burst, not per row. A run has no single
 * body ({@link #body()} throws); its bytes are {@link #wire()} (which is also its {@link #content()}).
 *
 * <p>A <em>piece</em> ({@link #isPiece()}) is part of one large message relayed as it arrives, so that a message
 * of hundreds of megabytes (a big value in a DataRow) is never held whole: the first piece starts with the type and
 * length, and the pieces' bytes in order make up the message. Like a run, a piece is its {@link #wire()}; the
 * first piece's {@link #body()} is the part of the body that came with it (enough to read the names at its start).
 */
public final class PgFrame extends DefaultByteBufHolder {

    private final byte type;
    /**
     * The same buffer as {@link #content()}, read without {@code content()}'s reference-count check: a relayed frame
     * is read a few times on the hot path, and each check is a volatile read of a shared counter.
     */
    private final ByteBuf bytes;
    /** The whole frame as it arrived (type, length, body), sharing the body's reference count; null if unknown. */
    private final ByteBuf wire;
    /** 1, or the number of DataRow messages in a run. */
    private final int frames;
    /** {@link #WHOLE}, or which part of a message a piece is: bits {@link #AFTER_START} and {@link #BEFORE_END}. */
    private final int piece;
    private static final int WHOLE = 0;
    /** A piece that does not start its message. */
    private static final int AFTER_START = 1;
    /** A piece that does not end its message. */
    private static final int BEFORE_END = 2;
    /**
     * Bodies up to this size are decoded from a heap copy of their bytes: one copy, after which every read is an
     * array access. Reading a relayed body in place goes through a duplicate of a slice of a pooled buffer, whose
     * every read makes a chain of calls and reference-count checks (a Bind's names and values cost more to find than
     * to copy).
     */
    private static final int HEAP_DECODE_LIMIT = 8192;
    /**
     * The first two C strings of the body once {@link #cString} decoded them (null: not yet). Those are the ones read
     * more than once: a Query's text, a Parse's name and text, a Bind's portal and statement names.
     */
    private String string0;
    private String string1;

    public PgFrame(byte type, ByteBuf body) {
        this(type, body, null);
    }

    /** A run of {@code frames} (at least 2) consecutive DataRow messages whose complete bytes are {@code wire}. */
    public static PgFrame dataRowRun(ByteBuf wire, int frames) {
        if (frames < 2) {
            throw new IllegalArgumentException("a run holds at least 2 DataRows: " + frames);
        }
        return new PgFrame(BackendType.DATA_ROW.code(), wire, wire, frames, WHOLE);
    }

    /**
     * A piece of a {@code type} message: {@code bytes} as they arrived (the first piece's start with the type and
     * length), which the frame owns. A message relayed in pieces has at least two.
     */
    public static PgFrame piece(byte type, ByteBuf bytes, boolean first, boolean last) {
        if (first && last) {
            throw new IllegalArgumentException("a whole message is not a piece");
        }
        return new PgFrame(type, bytes, bytes, 1, (first ? WHOLE : AFTER_START) | (last ? WHOLE : BEFORE_END));
    }

    /**
     * A frame whose {@code body} is a derived slice of {@code wire}, the frame's complete bytes as they arrived:
     * relaying it then writes {@code wire} as one buffer instead of a new header and the body. The frame owns
     * {@code wire}'s reference, shared with the body.
     */
    public PgFrame(byte type, ByteBuf body, ByteBuf wire) {
        this(type, body, wire, 1, WHOLE);
    }

    private PgFrame(byte type, ByteBuf body, ByteBuf wire, int frames, int piece) {
        super(body);
        this.bytes = body;
        this.type = type;
        this.wire = wire;
        this.frames = frames;
        this.piece = piece;
    }

    /** How many protocol messages this frame holds: 1, or the DataRows of a run. */
    public int frames() {
        return frames;
    }

    /** Whether this is a run of DataRows (see the class comment). */
    public boolean isRun() {
        return frames > 1;
    }

    /** Whether this is a piece of a message (see the class comment). */
    public boolean isPiece() {
        return piece != WHOLE;
    }

    /** Whether this frame's bytes start a message: true but for a piece after the first. */
    public boolean startsMessage() {
        return (piece & AFTER_START) == 0;
    }

    /** Whether this frame's bytes end a message: true but for a piece that more pieces follow. */
    public boolean endsMessage() {
        return (piece & BEFORE_END) == 0;
    }

    /** Whether the frame is only bytes, a run or a piece, with no single message body to read. */
    public boolean isRaw() {
        return frames > 1 || piece != WHOLE;
    }

    /**
     * The frame's bytes as they arrived, type and length included, when they are known and the body has not been
     * read from; otherwise null. Shares the frame's reference count (retain it to keep it).
     */
    public ByteBuf wire() {
        if (isRaw()) {
            return wire;
        }
        return wire != null && wire.readableBytes() == 5 + bytes.readableBytes() ? wire : null;
    }

    public byte type() {
        return type;
    }

    /**
     * The body, without type byte and length: the same buffer as {@link #content()}; for the first piece of a message,
     * the part of the body that came with it. Not for a run or a later piece.
     */
    public ByteBuf body() {
        if (isRaw()) {
            if (frames == 1 && piece == BEFORE_END) {
                return bytes.slice(bytes.readerIndex() + 5, bytes.readableBytes() - 5);
            }
            throw new IllegalStateException(this + " has no single body: use wire()");
        }
        return bytes;
    }

    /** The frontend type of this frame, or {@code null} if the type byte is not a frontend type. */
    public FrontendType frontendType() {
        return FrontendType.of(type);
    }

    /** The backend type of this frame, or {@code null} if the type byte is not a backend type. */
    public BackendType backendType() {
        return BackendType.of(type);
    }

    /** Whether this frame has the given frontend type. */
    public boolean is(FrontendType expected) {
        return type == expected.code();
    }

    /** Whether this frame has the given backend type. */
    public boolean is(BackendType expected) {
        return type == expected.code();
    }

    /**
     * Decodes the body with {@code decoder} (e.g. {@code Query::decode}) from a copy (up to {@link #HEAP_DECODE_LIMIT}
     * bytes) or a duplicate, so the body's reader index does not move and the frame can still be relayed. The decoder
     * must not keep the buffer it is given. Does not release the frame.
     */
    public <T> T decode(Function<ByteBuf, T> decoder) {
        ByteBuf body = body();
        if (body.readableBytes() > HEAP_DECODE_LIMIT) {
            return decoder.apply(body.duplicate());
        }
        return decoder.apply(Unpooled.wrappedBuffer(heapCopy(body)));
    }

    private static byte[] heapCopy(ByteBuf body) {
        byte[] copy = new byte[body.readableBytes()];
        body.getBytes(body.readerIndex(), copy);
        return copy;
    }

    /**
     * Whether the body, after its first {@code skip} bytes, holds at least {@code count} NUL-terminated strings:
     * whether {@link #cString} can read them. Scans for the terminators without decoding anything.
     */
    public boolean hasCStrings(int skip, int count) {
        ByteBuf body = body();
        return PgBuffers.afterCStrings(body, body.readerIndex() + skip, count) >= 0;
    }

    /**
     * The {@code index}-th NUL-terminated UTF-8 string of the body (0 = the first), read without moving the body's
     * reader index. The first two are remembered once read: a Query's text is wanted by routing, retry and execution,
     * a Parse's or Bind's two names by routing and translation, and each is then decoded once. Throws
     * {@link ProtocolException} when the body has fewer strings.
     */
    /**
     * Makes {@link #cString}(0) answer {@code text} without reading the body: what the first piece of a message
     * pgroute relays unread (a Query longer than it reads) says to those who route it.
     */
    public void standIn(String text) {
        this.string0 = text;
    }

    public String cString(int index) {
        if (index == 0 && string0 != null) {
            return string0;
        }
        if (index == 1 && string1 != null) {
            return string1;
        }
        ByteBuf body = body();
        if (body.readableBytes() <= HEAP_DECODE_LIMIT) {
            body = Unpooled.wrappedBuffer(heapCopy(body));
        }
        int at = body.readerIndex();
        int end = body.writerIndex();
        for (int i = 0; ; i++) {
            int nul = PgBuffers.nulIndex(body, at, end);
            if (nul < 0) {
                throw new ProtocolException("invalid string in message");
            }
            if (i == 0 && string0 == null && index <= 1) {
                string0 = PgBuffers.string(body, at, nul);
            }
            if (i == index) {
                if (index == 0) {
                    return string0;
                }
                String result = PgBuffers.string(body, at, nul);
                if (index == 1) {
                    string1 = result;
                }
                return result;
            }
            at = nul + 1;
        }
    }

    /**
     * Where the frame's bytes are read from now (its body's reader index, and its wire bytes' when it has them), for
     * {@link #rewind}: writing a frame to a channel moves them.
     */
    public long position() {
        return (long) (wire == null ? 0 : wire.readerIndex()) << 32 | bytes.readerIndex() & 0xFFFFFFFFL;
    }

    /** Puts the frame's reader indices back where {@link #position()} found them: it can be sent again, as it was. */
    public void rewind(long position) {
        bytes.readerIndex((int) position);
        if (wire != null && wire != bytes) {
            wire.readerIndex((int) (position >>> 32));
        }
    }

    /** The length the frame has on the wire: type byte, Int32 length and body. */
    public int wireLength() {
        return isRaw() ? bytes.readableBytes() : 5 + bytes.readableBytes();
    }

    @Override
    public PgFrame replace(ByteBuf content) {
        return isRaw() ? new PgFrame(type, content, content, frames, piece) : new PgFrame(type, content);
    }

    @Override
    public PgFrame copy() {
        return (PgFrame) super.copy();
    }

    @Override
    public PgFrame duplicate() {
        return (PgFrame) super.duplicate();
    }

    @Override
    public PgFrame retainedDuplicate() {
        return (PgFrame) super.retainedDuplicate();
    }

    @Override
    public PgFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public PgFrame retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public PgFrame touch() {
        super.touch();
        return this;
    }

    @Override
    public PgFrame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PgFrame that && type == that.type && frames == that.frames && piece == that.piece
                && super.equals(other);
    }

    @Override
    public int hashCode() {
        return 31 * type + super.hashCode();
    }

    @Override
    public String toString() {
        return "PgFrame(" + (char) type + (frames > 1 ? " x" + frames : "") + (isPiece() ? " piece" : "") + ", "
                + content().readableBytes()
                + " bytes)";
    }
}
