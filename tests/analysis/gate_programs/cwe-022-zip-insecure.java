import java.io.*;
import java.util.zip.*;

public class ZipExtractor {
    public ZipOutputStream getZipFileStream(ZipEntry entry, File destDir) throws Exception {
        // create a ZipOutputStream for newFile
        String fileName = entry.getName();
        File newFile = new File(destDir, fileName);
        newFile.getParentFile().mkdirs();
        return new ZipOutputStream(new FileOutputStream(newFile));
    }
}
