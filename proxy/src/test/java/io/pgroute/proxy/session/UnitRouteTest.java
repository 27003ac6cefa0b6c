package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Sync;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Deque;

import static org.assertj.core.api.Assertions.assertThat;

/** The bounds on what a session holds of its client's requests (COMPAT E15). */
class UnitRouteTest {

    private final Deque<PgFrame> waiting = new ArrayDeque<>();

    @AfterEach
    void release() {
        waiting.forEach(PgFrame::release);
    }

    @Test
    void aUnitWithoutItsEndGoesOnOnceItHoldsMoreThanAMebibyte() {
        while (waiting.size() < 2 * 15) {
            add(bind(64 * 1024));
            add(new Execute("", 0));
        }
        assertThat(UnitRoute.goesOnBeforeItsEnd(waiting)).as("15 × 64 kB: under 1 MiB").isFalse();
        add(bind(64 * 1024));
        assertThat(UnitRoute.goesOnBeforeItsEnd(waiting)).isTrue();
    }

    @Test
    void aUnitWithoutItsEndGoesOnOnceItHoldsMoreThan1024Messages() {
        while (waiting.size() < 1024) {
            add(new Execute("", 0));
        }
        assertThat(UnitRoute.goesOnBeforeItsEnd(waiting)).isFalse();
        add(new Execute("", 0));
        assertThat(UnitRoute.goesOnBeforeItsEnd(waiting)).isTrue();
    }

    @Test
    void aUnitWhoseEndArrivedIsWaitedForWhateverItsSize() {
        add(bind(64 * 1024));
        add(Sync.INSTANCE);
        for (int i = 0; i < 40; i++) {
            add(bind(64 * 1024));  // the next unit, already 2.5 MiB: not the head's concern
        }
        assertThat(UnitRoute.goesOnBeforeItsEnd(waiting)).isFalse();
    }

    @Test
    void theQueueIsTooLongAboveTwoMebibytesOr4096Messages() {
        for (int i = 0; i < 32; i++) {
            add(bind(64 * 1024));
            add(Sync.INSTANCE);
        }
        assertThat(UnitRoute.queuedTooMuch(waiting)).as("32 × 64 kB and a little: just over 2 MiB").isTrue();
        waiting.pollLast().release();
        waiting.pollLast().release();
        assertThat(UnitRoute.queuedTooMuch(waiting)).isFalse();
        waiting.forEach(PgFrame::release);
        waiting.clear();
        while (waiting.size() < 4096) {
            add(Sync.INSTANCE);
        }
        assertThat(UnitRoute.queuedTooMuch(waiting)).isFalse();
        add(Sync.INSTANCE);
        assertThat(UnitRoute.queuedTooMuch(waiting)).isTrue();
    }

    private static Bind bind(int valueBytes) {
        return new Bind("", "", new short[0], new byte[][] {new byte[valueBytes - 20]}, new short[0]);
    }

    /** {@code message} as the frame decoder would queue it. */
    private void add(Object message) {
        ByteBuf wire = Unpooled.buffer();
        MessageEncoder.encodeInto(message, wire);
        waiting.addLast(new PgFrame(wire.getByte(0), wire.slice(5, wire.readableBytes() - 5), wire));
    }
}
