<?php
// PHP PDO (pdo_pgsql) through a PostgreSQL endpoint, with server-side and emulated prepares: INSERT then
// lastInsertId (currval), statements PDO deallocates with SQL DEALLOCATE, transactions, errors. Prints one JSON line
// (DriverCompatibilityIT compares it with the same script run against PostgreSQL itself). Usage: php pdo.php PORT
$port = $argv[1];
$out = [];
foreach ([false, true] as $emulate) {
  $db = new PDO("pgsql:host=127.0.0.1;port=$port;dbname=app", 'app', 'app', [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_EMULATE_PREPARES => $emulate]);
  $db->exec("DROP TABLE IF EXISTS drivers_pdo");
  $db->exec("CREATE TABLE drivers_pdo (id serial PRIMARY KEY, v text)");
  $ok = 0;
  for ($i = 0; $i < 30; $i++) {
    $st = $db->prepare("INSERT INTO drivers_pdo (v) VALUES (?)");
    $st->execute(["row$i"]);
    $id = $db->lastInsertId('drivers_pdo_id_seq');
    $chk = $db->prepare("SELECT v FROM drivers_pdo WHERE id = ?");
    $chk->execute([$id]);
    if ($chk->fetchColumn() === "row$i") $ok++;
    $st = null; $chk = null;   // PDO deallocates its statements (SQL DEALLOCATE)
  }
  $out[] = $ok;
  $q = $db->prepare("SELECT name, price FROM products WHERE id = :id");
  foreach ([1, 2, 2] as $id) { $q->execute([':id' => $id]); $out[] = $q->fetch(PDO::FETCH_NUM); }
  $db->beginTransaction(); $db->exec("INSERT INTO drivers_pdo (v) VALUES ('tx')"); $db->rollBack();
  $out[] = $db->query("SELECT count(*) FROM drivers_pdo WHERE v = 'tx'")->fetchColumn();
  try { $db->query("SELECT 1/0"); } catch (PDOException $e) { $out[] = $e->getCode(); }
  $out[] = $db->query("SELECT 'after'")->fetchColumn();
}
echo json_encode($out), "\n";
