import java.io.*;
import java.util.zip.*;

public class ZipExtractor {
    public ZipOutputStream getZipFileStream(ZipEntry entry, File destDir) throws Exception {
        String fileName = entry.getName();
        File newFile = new File(destDir, fileName);
        String destDirPath = destDir.getCanonicalPath();
        String destFilePath = newFile.getCanonicalPath();
        if (!destFilePath.startsWith(destDirPath + File.separator)) {
            throw new IOException("Entry is outside of the target dir: " + fileName);
        }
        return new ZipOutputStream(new FileOutputStream(newFile));
    }
}
