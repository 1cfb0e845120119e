import java.io.*;
import java.nio.file.*;
import java.util.zip.*;

public class MyTestClass {
    public ZipOutputStream getZipFileStream(ZipEntry entry, File destDir) throws Exception {
        String fileName = entry.getName();
        File newFile = new File(destDir, fileName);
        // ruleid: cwe-022-java-zip-slip
        return new ZipOutputStream(new FileOutputStream(newFile));
    }

    public ZipOutputStream getCheckedStream(ZipEntry entry, File destDir) throws Exception {
        String fileName = entry.getName();
        File newFile = new File(destDir, fileName);
        String destDirPath = destDir.getCanonicalPath();
        String destFilePath = newFile.getCanonicalPath();
        if (!destFilePath.startsWith(destDirPath + File.separator)) {
            throw new IOException("Entry is outside of the target dir: " + fileName);
        }
        // ok: cwe-022-java-zip-slip
        return new ZipOutputStream(new FileOutputStream(newFile));
    }

    public void writeFixed(File destDir) throws Exception {
        // ok: cwe-022-java-zip-slip
        FileOutputStream out = new FileOutputStream(new File(destDir, "fixed.txt"));
        out.close();
    }
}
