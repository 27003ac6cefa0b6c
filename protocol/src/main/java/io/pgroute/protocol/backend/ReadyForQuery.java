package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.ProtocolException;

/**
 * Ends a request unit and reports the transaction status: {@code 'I'} idle, {@code 'T'} in a transaction,
 * {@code 'E'} in a failed transaction.
 */
public record ReadyForQuery(byte status) implements BackendMessage {

    public static final byte STATUS_IDLE = 'I';
    public static final byte STATUS_IN_TRANSACTION = 'T';
    public static final byte STATUS_FAILED = 'E';

    public static final ReadyForQuery IDLE = new ReadyForQuery(STATUS_IDLE);
    public static final ReadyForQuery IN_TRANSACTION = new ReadyForQuery(STATUS_IN_TRANSACTION);
    public static final ReadyForQuery FAILED = new ReadyForQuery(STATUS_FAILED);

    public ReadyForQuery {
        if (!isValid(status)) {
            throw new IllegalArgumentException("status must be 'I', 'T' or 'E', not " + status);
        }
    }

    /** The shared instance for {@code status}. */
    public static ReadyForQuery of(byte status) {
        return switch (status) {
            case STATUS_IDLE -> IDLE;
            case STATUS_IN_TRANSACTION -> IN_TRANSACTION;
            case STATUS_FAILED -> FAILED;
            default -> throw new IllegalArgumentException("status must be 'I', 'T' or 'E', not " + status);
        };
    }

    /** Whether the session is inside a transaction block, failed or not. */
    public boolean inTransaction() {
        return status != STATUS_IDLE;
    }

    @Override
    public BackendType type() {
        return BackendType.READY_FOR_QUERY;
    }

    // ReadyForQuery: Byte1('Z') Int32 len = 5, Byte1 status 'I'|'T'|'E'
    public static ReadyForQuery decode(ByteBuf body) {
        byte status = PgBuffers.readByte(body);
        PgBuffers.requireEnd(body);
        if (!isValid(status)) {
            throw new ProtocolException("invalid transaction status " + status);
        }
        return of(status);
    }

    // ReadyForQuery: Byte1('Z') Int32 len = 5, Byte1 status 'I'|'T'|'E'
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeByte(status);
    }

    private static boolean isValid(byte status) {
        return status == STATUS_IDLE || status == STATUS_IN_TRANSACTION || status == STATUS_FAILED;
    }

    @Override
    public String toString() {
        return "ReadyForQuery[" + (char) status + "]";
    }
}
