import java.io.IOException;
import java.io.PrintWriter;
import javax.servlet.ServletException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.apache.commons.lang3.StringEscapeUtils;

public class MyTestClass extends HttpServlet {
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        String page = request.getParameter("page");
        // ruleid: cwe-079-java-servlet-xss
        response.getWriter().print(page);
        // ok: cwe-079-java-servlet-xss
        response.getWriter().print(StringEscapeUtils.escapeHtml4(page));
        PrintWriter out = response.getWriter();
        // ruleid: cwe-079-java-servlet-xss
        out.println("<h1>" + request.getParameter("title") + "</h1>");
        // ok: cwe-079-java-servlet-xss
        out.println("<h1>Welcome</h1>");
    }
}
