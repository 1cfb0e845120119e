#include <stdlib.h>

enum xmlParserOption {
    XML_PARSE_RECOVER = 1,
    XML_PARSE_NOENT = 2,
    XML_PARSE_DTDLOAD = 4,
    XML_PARSE_NONET = 2048,
};

typedef struct xmlDoc xmlDoc;
xmlDoc *xmlReadFile(const char *fileName, const char *encoding, int flags);
void xmlFreeDoc(xmlDoc *ptr);

int main(int argc, char *argv[]) {
    // ruleid: cwe-611-c-libxml2-external-entities
    xmlDoc *p = xmlReadFile(argv[1], NULL, XML_PARSE_NOENT);
    xmlFreeDoc(p);
    // ruleid: cwe-611-c-libxml2-external-entities
    xmlDoc *q = xmlReadFile(argv[1], NULL, XML_PARSE_RECOVER | XML_PARSE_DTDLOAD);
    xmlFreeDoc(q);
    // ok: cwe-611-c-libxml2-external-entities
    xmlDoc *r = xmlReadFile(argv[1], NULL, XML_PARSE_NONET);
    xmlFreeDoc(r);
    return 0;
}
