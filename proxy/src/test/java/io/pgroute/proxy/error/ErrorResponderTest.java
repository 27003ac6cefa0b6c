package io.pgroute.proxy.error;

import io.pgroute.protocol.backend.ErrorResponse;
import org.junit.jupiter.api.Test;

import java.io.FileNotFoundException;
import java.net.ConnectException;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorResponderTest {

    @Test
    void anIoFailureWithoutAMessageIsNamedByItsKind() {
        ErrorResponse error = ErrorResponder.fatal(new FileNotFoundException());
        assertThat(error.sqlState()).isEqualTo("08006");
        assertThat(error.message()).isEqualTo("connection to the database server failed: FileNotFoundException");
        assertThat(ErrorResponder.fatal(new ConnectException("Connection refused")).message())
                .isEqualTo("could not connect to the database server: Connection refused");
    }
}
