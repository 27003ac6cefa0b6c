package io.pgroute.proxy.session;

import io.netty.buffer.Unpooled;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.backend.CloseComplete;
import io.pgroute.protocol.backend.ParseComplete;
import io.pgroute.proxy.session.ResponseQueue.Disposition;
import io.pgroute.proxy.session.ResponseQueue.Entry;
import io.pgroute.proxy.session.ResponseQueue.Kind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The expected-response FIFO, driven frame by frame. */
class ResponseQueueTest {

    private final List<BackendMessage> emitted = new ArrayList<>();
    private final List<String> failedParses = new ArrayList<>();
    private final List<String> failedChecks = new ArrayList<>();
    private final List<String> parsed = new ArrayList<>();
    private final ResponseQueue queue = new ResponseQueue(new ResponseQueue.Events() {
        @Override
        public void emit(BackendMessage message) {
            emitted.add(message);
        }

        @Override
        public void parseFailed(String preparedName, String clientName) {
            failedParses.add(preparedName);
        }

        @Override
        public void checkFailed(String preparedName, String clientName) {
            failedChecks.add(clientName);
        }

        @Override
        public void parsed(String preparedName) {
            parsed.add(preparedName);
        }

        @Override
        public void closeSkipped(String preparedName) {
            failedParses.add("still " + preparedName);
        }
    });

    private Disposition feed(BackendType type, byte... body) {
        PgFrame frame = new PgFrame(type.code(), Unpooled.wrappedBuffer(body));
        try {
            Disposition result = queue.onFrame(frame);
            queue.drainAfterFrame();  // as the session does once the frame has gone to the client
            return result;
        } finally {
            frame.release();
        }
    }

    @Test
    void relaysAnExtendedCycleInOrderAndEndsItAtReadyForQuery() {
        queue.add(Entry.relay(Kind.PARSE));
        queue.add(Entry.relay(Kind.BIND));
        queue.add(Entry.relay(Kind.EXECUTE));
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(queue.pendingCycles()).isEqualTo(1);
        assertThat(feed(BackendType.PARSE_COMPLETE)).isEqualTo(Disposition.RELAY);
        assertThat(feed(BackendType.BIND_COMPLETE)).isEqualTo(Disposition.RELAY);
        assertThat(feed(BackendType.DATA_ROW)).isEqualTo(Disposition.RELAY);
        assertThat(feed(BackendType.COMMAND_COMPLETE)).isEqualTo(Disposition.RELAY);
        assertThat(queue.isEmpty()).isFalse();
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'I')).isEqualTo(Disposition.RELAY);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.pendingCycles()).isZero();
    }

    @Test
    void namesTheServerStatementOfTheBindAtTheHeadAndOnlyThen() {
        queue.add(Entry.relay(Kind.PARSE));
        queue.add(Entry.bind("pgr_1"));
        queue.add(Entry.relay(Kind.BIND));
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(queue.headBoundStatement()).as("a Parse at the head").isNull();
        feed(BackendType.PARSE_COMPLETE);
        assertThat(queue.headBoundStatement()).isEqualTo("pgr_1");
        feed(BackendType.BIND_COMPLETE);
        assertThat(queue.headBoundStatement()).as("a Bind of the unnamed statement").isNull();
        feed(BackendType.BIND_COMPLETE);
        feed(BackendType.READY_FOR_QUERY, (byte) 'I');
        assertThat(queue.headBoundStatement()).isNull();
    }

    @Test
    void swallowsTheAnswerToAnInjectedParseButRelaysItsError() {
        queue.add(new Entry(Kind.PARSE, true, null, "pgr_1"));
        queue.add(Entry.relay(Kind.BIND));
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(queue.headIsInjected()).isTrue();
        assertThat(feed(BackendType.PARSE_COMPLETE)).isEqualTo(Disposition.SWALLOW);
        assertThat(parsed).containsExactly("pgr_1");
        assertThat(queue.headIsInjected()).isFalse();

        queue.add(new Entry(Kind.PARSE, true, null, "pgr_2"));
        feed(BackendType.BIND_COMPLETE);
        feed(BackendType.READY_FOR_QUERY, (byte) 'I');
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(feed(BackendType.ERROR_RESPONSE)).isEqualTo(Disposition.RELAY);
        assertThat(failedParses).containsExactly("pgr_2");
    }

    @Test
    void emitsPgroutesOwnAnswerOnlyAfterTheFrameThatEndedTheEntryBeforeIt() {
        queue.add(Entry.relay(Kind.EXECUTE));
        queue.add(Entry.answered(ParseComplete.INSTANCE));  // a Parse the connection had: answered by pgroute
        queue.add(Entry.relay(Kind.SYNC));
        PgFrame complete = new PgFrame(BackendType.COMMAND_COMPLETE.code(), Unpooled.wrappedBuffer(new byte[0]));
        try {
            assertThat(queue.onFrame(complete)).isEqualTo(Disposition.RELAY);
            assertThat(emitted).as("the CommandComplete has not gone to the client yet").isEmpty();
            queue.drainAfterFrame();
            assertThat(emitted).containsExactly(ParseComplete.INSTANCE);
        } finally {
            complete.release();
        }
        queue.add(Entry.answered(ParseComplete.INSTANCE));
        assertThat(emitted).as("queued behind the Sync").hasSize(1);
        feed(BackendType.READY_FOR_QUERY, (byte) 'I');
        assertThat(emitted).hasSize(2);
    }

    @Test
    void emitsASyntheticAnswerOnlyWhenItReachesTheHead() {
        queue.add(Entry.relay(Kind.BIND));
        queue.add(Entry.answered(ParseComplete.INSTANCE));
        queue.add(Entry.relay(Kind.EXECUTE));
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(emitted).isEmpty();
        feed(BackendType.BIND_COMPLETE);
        assertThat(emitted).containsExactly(ParseComplete.INSTANCE);
    }

    @Test
    void emitsASyntheticAnswerAtOnceWhenNothingIsPending() {
        queue.add(Entry.answered(CloseComplete.INSTANCE));
        assertThat(emitted).containsExactly(CloseComplete.INSTANCE);
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void skipsToSyncAfterAnErrorLikePostgres() {
        queue.add(Entry.relay(Kind.PARSE));
        queue.add(Entry.relay(Kind.BIND));
        queue.add(Entry.answered(CloseComplete.INSTANCE));
        queue.add(Entry.relay(Kind.EXECUTE));
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(feed(BackendType.ERROR_RESPONSE)).isEqualTo(Disposition.RELAY);
        assertThat(emitted).as("nothing is answered after the error").isEmpty();
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'I')).isEqualTo(Disposition.RELAY);
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void forgetsStatementsWhoseParseTheServerSkippedAfterAnError() {
        queue.add(Entry.relay(Kind.EXECUTE));
        queue.add(new Entry(Kind.PARSE, true, null, "pgr_skipped"));
        queue.add(Entry.parse("pgr_client", "S_1"));
        queue.add(Entry.relay(Kind.SYNC));
        feed(BackendType.ERROR_RESPONSE);
        assertThat(failedParses).containsExactly("pgr_skipped", "pgr_client");
    }

    @Test
    void aRefusedCheckingParseForgetsTheClientsNameButNotTheConnectionsStatement() {
        queue.add(Entry.checking("pgr_had", "a"));  // 25P02 in a failed transaction
        queue.add(Entry.checking("pgr_had", "b"));  // skipped after it
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(feed(BackendType.ERROR_RESPONSE)).as("the client sees the server's error")
                .isEqualTo(Disposition.RELAY);
        assertThat(failedChecks).containsExactly("a", "b");
        assertThat(failedParses).as("the connection still has pgr_had").isEmpty();
    }

    @Test
    void aStatementWhoseCloseWasSkippedIsStillOnTheServerAfterItsSkippedParse() {
        queue.add(Entry.relay(Kind.EXECUTE));  // fails
        queue.add(Entry.closing("pgr_stale"));  // pgroute's Close of its stale statement, skipped
        queue.add(new Entry(Kind.PARSE, true, null, "pgr_stale"));  // and its new Parse, skipped
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(feed(BackendType.ERROR_RESPONSE)).isEqualTo(Disposition.RELAY);
        assertThat(failedParses).as("forgotten for the skipped Parse, then known again: the server kept the old one")
                .containsExactly("pgr_stale", "still pgr_stale");
    }

    @Test
    void showsPgroutesOwnErrorInsteadOfTheServersForAFailingInjection() {
        io.pgroute.protocol.backend.ErrorResponse mine = io.pgroute.protocol.backend.ErrorResponse.error("42P05",
                "prepared statement \"a\" already exists");
        queue.add(Entry.failing(Kind.PARSE, mine));
        queue.add(Entry.relay(Kind.BIND));
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(feed(BackendType.ERROR_RESPONSE)).isEqualTo(Disposition.SWALLOW);
        assertThat(emitted).containsExactly(mine);
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'I')).isEqualTo(Disposition.RELAY);
    }

    @Test
    void swallowsEverythingOfAnInjectedQueryIncludingItsReadyForQuery() {
        queue.add(Entry.injected(Kind.QUERY));
        queue.add(Entry.relay(Kind.QUERY));
        assertThat(queue.pendingCycles()).isEqualTo(2);
        assertThat(feed(BackendType.COMMAND_COMPLETE)).isEqualTo(Disposition.SWALLOW);
        assertThat(feed(BackendType.PARAMETER_STATUS)).isEqualTo(Disposition.SWALLOW);
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'I')).isEqualTo(Disposition.SWALLOW);
        assertThat(feed(BackendType.NOTICE_RESPONSE)).isEqualTo(Disposition.RELAY);
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'I')).isEqualTo(Disposition.RELAY);
        assertThat(queue.pendingCycles()).isZero();
    }

    @Test
    void givesNoEntryToWhatIsSentAfterAnErrorUntilTheSync() {
        queue.add(Entry.relay(Kind.PARSE));  // Parse, Flush: the error comes back before the rest is sent
        assertThat(feed(BackendType.ERROR_RESPONSE)).isEqualTo(Disposition.RELAY);
        assertThat(queue.isEmpty()).isTrue();

        queue.add(Entry.parse("pgr_1", "s1"));
        queue.add(Entry.relay(Kind.BIND));
        queue.add(Entry.answered(io.pgroute.protocol.backend.CloseComplete.INSTANCE));
        queue.add(Entry.relay(Kind.EXECUTE));
        assertThat(queue.isEmpty()).as("the server ignores them: no entries").isTrue();
        assertThat(emitted).as("and no answer of pgroute's own").isEmpty();
        assertThat(failedParses).as("the ignored Parse prepared nothing").containsExactly("pgr_1");

        queue.add(Entry.relay(Kind.SYNC));
        assertThat(queue.pendingCycles()).isEqualTo(1);
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'I')).isEqualTo(Disposition.RELAY);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.pendingCycles()).isZero();

        queue.add(Entry.relay(Kind.PARSE));  // after the Sync, entries again
        assertThat(queue.isEmpty()).isFalse();
    }

    @Test
    void dropsTheSyncsTheServerIgnoresDuringAnExtendedCopy() {
        sendParseBindExecuteSyncAndParseAndBindComplete();  // the Sync: ignored while the server copies in
        assertThat(feed(BackendType.COPY_IN_RESPONSE)).isEqualTo(Disposition.RELAY);
        assertThat(queue.pendingCycles()).isZero();

        queue.copyEndSent();  // CopyDone, then the Sync that is answered
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(feed(BackendType.COMMAND_COMPLETE)).isEqualTo(Disposition.RELAY);
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'I')).isEqualTo(Disposition.RELAY);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.pendingCycles()).isZero();
    }

    @Test
    void keepsTheSyncOfACopyThatFailedBeforeCopyingIn() {
        sendParseBindExecuteSyncAndParseAndBindComplete();
        feed(BackendType.ERROR_RESPONSE);  // no such table: no copy-in, the Sync counts
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'I')).isEqualTo(Disposition.RELAY);
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void swallowsTheAnswersOfADeferredBeginButNotTheRequestBehindIt() {
        sendBegin();
        queue.add(Entry.relay(Kind.QUERY));
        assertThat(queue.headIsInjected()).as("its errors are the client's").isFalse();
        assertThat(feed(BackendType.PARSE_COMPLETE)).isEqualTo(Disposition.SWALLOW);
        assertThat(feed(BackendType.BIND_COMPLETE)).isEqualTo(Disposition.SWALLOW);
        assertThat(feed(BackendType.COMMAND_COMPLETE)).isEqualTo(Disposition.SWALLOW);
        assertThat(feed(BackendType.COMMAND_COMPLETE)).isEqualTo(Disposition.RELAY);
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'T')).isEqualTo(Disposition.RELAY);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.takeSkippedQueries()).isZero();
    }

    @Test
    void aFailedDeferredBeginSkipsTheRequestsMessagesToItsSync() {
        sendBegin();
        queue.add(Entry.quiet(Kind.BIND, "pgr_1", null));
        queue.add(Entry.quiet(Kind.DESCRIBE_PORTAL, null, null));
        queue.add(Entry.quiet(Kind.EXECUTE, null, null));
        queue.add(Entry.relay(Kind.SYNC));
        assertThat(feed(BackendType.PARSE_COMPLETE)).isEqualTo(Disposition.SWALLOW);
        assertThat(feed(BackendType.BIND_COMPLETE)).isEqualTo(Disposition.SWALLOW);
        assertThat(feed(BackendType.ERROR_RESPONSE)).as("57014, say: the client's").isEqualTo(Disposition.RELAY);
        assertThat(queue.takeSkippedQueries()).isZero();
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'I')).isEqualTo(Disposition.RELAY);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.pendingCycles()).isZero();
    }

    @Test
    void aQuerySkippedAfterAFailedDeferredBeginIsCountedForTheSyncThatEndsIt() {
        sendBegin();
        queue.add(Entry.relay(Kind.QUERY));
        assertThat(queue.pendingCycles()).isEqualTo(1);
        assertThat(feed(BackendType.ERROR_RESPONSE)).isEqualTo(Disposition.RELAY);
        assertThat(queue.takeSkippedQueries()).isEqualTo(1);
        assertThat(queue.takeSkippedQueries()).as("once").isZero();
        assertThat(queue.pendingCycles()).isZero();
        queue.add(Entry.relay(Kind.SYNC));  // the session's, for the Query
        assertThat(feed(BackendType.READY_FOR_QUERY, (byte) 'I')).isEqualTo(Disposition.RELAY);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.pendingCycles()).isZero();
    }

    /** The BEGIN pgroute sends in front of a transaction's first request. */
    private void sendBegin() {
        queue.add(Entry.beginning(Kind.PARSE));
        queue.add(Entry.beginning(Kind.BIND));
        queue.add(Entry.beginning(Kind.EXECUTE));
    }

    /** A one-statement extended batch sent at once, answered up to its Execute. */
    private void sendParseBindExecuteSyncAndParseAndBindComplete() {
        queue.add(Entry.relay(Kind.PARSE));
        queue.add(Entry.relay(Kind.BIND));
        queue.add(Entry.relay(Kind.EXECUTE));
        queue.add(Entry.relay(Kind.SYNC));
        feed(BackendType.PARSE_COMPLETE);
        feed(BackendType.BIND_COMPLETE);
    }
}
