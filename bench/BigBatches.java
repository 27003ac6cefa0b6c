import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Several pgjdbc clients at once, each inserting ROWS rows of VALUE_BYTES-byte text values with one
 * {@code executeBatch}: the load that shows whether a proxy holds a batch in memory (COMPAT E15). pgjdbc sends a Sync
 * only when the answers it expects reach 64 kB, about every 256 rows, whatever the size of the values: with 900 kB
 * values that is 230 MB before each Sync.
 *
 * <pre>
 * java -cp proxy/target/pgroute.jar bench/BigBatches.java PORT CLIENTS ROWS VALUE_BYTES   # e.g. 6432 3 600 900000
 * </pre>
 *
 * Connects to 127.0.0.1:PORT, database app, user app, password app (the demo's), creates the table
 * {@code big_batches} if needed and empties it, then runs the clients. Prints each client's time and the rows in the
 * table; exit status 0 when every batch succeeded and every row is there, 1 otherwise (with the first error's
 * message, truncated: pgjdbc puts the values in it). Watch the proxy's resident memory meanwhile, for example
 * {@code grep VmRSS /proc/<pid>/status} once a second.
 */
public final class BigBatches {

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: BigBatches PORT CLIENTS ROWS VALUE_BYTES");
            System.exit(2);
        }
        String url = "jdbc:postgresql://127.0.0.1:" + Integer.parseInt(args[0]) + "/app";
        int clients = Integer.parseInt(args[1]);
        int rows = Integer.parseInt(args[2]);
        String value = "x".repeat(Integer.parseInt(args[3]));
        try (Connection c = DriverManager.getConnection(url, "app", "app"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS big_batches (client int, id int, v text)");
            s.execute("TRUNCATE big_batches");
        }
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<String>> results = new ArrayList<>();
        for (int client = 0; client < clients; client++) {
            int id = client;
            results.add(pool.submit(() -> insert(url, id, rows, value)));
        }
        boolean ok = true;
        for (Future<String> each : results) {
            String outcome = each.get();
            System.out.println(outcome);
            ok &= outcome.contains(" ok ");
        }
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        try (Connection c = DriverManager.getConnection(url, "app", "app"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM big_batches")) {
            rs.next();
            long count = rs.getLong(1);
            System.out.println("rows in big_batches: " + count + " of " + (long) clients * rows);
            ok &= count == (long) clients * rows;
        }
        System.exit(ok ? 0 : 1);
    }

    private static String insert(String url, int client, int rows, String value) {
        long start = System.nanoTime();
        try (Connection c = DriverManager.getConnection(url, "app", "app");
             PreparedStatement insert = c.prepareStatement("INSERT INTO big_batches VALUES (?, ?, ?)")) {
            for (int i = 0; i < rows; i++) {
                insert.setInt(1, client);
                insert.setInt(2, i);
                insert.setString(3, value);
                insert.addBatch();
            }
            insert.executeBatch();
            return "client " + client + " ok " + (System.nanoTime() - start) / 1_000_000 + " ms";
        } catch (SQLException e) {
            String message = String.valueOf(e.getMessage());
            return "client " + client + " failed after " + (System.nanoTime() - start) / 1_000_000 + " ms: "
                    + message.substring(0, Math.min(200, message.length()));
        }
    }
}
