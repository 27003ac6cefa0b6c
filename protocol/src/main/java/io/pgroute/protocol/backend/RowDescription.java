package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;
import java.util.ArrayList;
import java.util.List;

/** Describes the columns of the rows that follow. */
public record RowDescription(List<Field> fields) implements BackendMessage {

    /** Bytes of a field after its name. */
    private static final int FIELD_FIXED_BYTES = 18;

    public RowDescription {
        fields = List.copyOf(fields);
    }

    /**
     * One column: its name, the table OID and column number it comes from (0 if none), its type OID, size
     * (negative = variable) and modifier, and format code (0 text, 1 binary).
     */
    public record Field(String name, int tableOid, short column, int typeOid, short typeSize, int typeModifier,
            short format) {
    }

    @Override
    public BackendType type() {
        return BackendType.ROW_DESCRIPTION;
    }

    // RowDescription: Byte1('T') Int32 len, Int16 n, (String name, Int32 table oid, Int16 column,
    //                 Int32 type oid, Int16 type size, Int32 type modifier, Int16 format)[n]
    public static RowDescription decode(ByteBuf body) {
        int count = PgBuffers.readCount(body, 1 + FIELD_FIXED_BYTES);
        List<Field> fields = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String name = PgBuffers.readCString(body);
            PgBuffers.require(body, FIELD_FIXED_BYTES);
            fields.add(new Field(name, body.readInt(), body.readShort(), body.readInt(), body.readShort(),
                    body.readInt(), body.readShort()));
        }
        PgBuffers.requireEnd(body);
        return new RowDescription(fields);
    }

    // RowDescription: Byte1('T') Int32 len, Int16 n, (String name, Int32 table oid, Int16 column,
    //                 Int32 type oid, Int16 type size, Int32 type modifier, Int16 format)[n]
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeCount(out, fields.size());
        for (Field each : fields) {
            PgBuffers.writeCString(out, each.name());
            out.writeInt(each.tableOid());
            out.writeShort(each.column());
            out.writeInt(each.typeOid());
            out.writeShort(each.typeSize());
            out.writeInt(each.typeModifier());
            out.writeShort(each.format());
        }
    }
}
